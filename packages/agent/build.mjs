// Bundles the agent into one self-contained file, dist/agent.js, that runs
// with `node agent.js` and nothing beside it, so it can be copied into any
// image that has Node.js.
//
// CommonJS rather than ESM: Node 20 starts a CommonJS bundle about 20 ms
// sooner (no ESM loader), and every bot start waits for it. A copy without a
// package.json beside it is CommonJS by default; dist/package.json says so for
// this checkout, whose package.json says "module".
import { readFile, writeFile } from "node:fs/promises";

import { build } from "esbuild";

const { version } = JSON.parse(await readFile(new URL("package.json", import.meta.url), "utf8"));

await build({
  entryPoints: [new URL("src/main.ts", import.meta.url).pathname],
  outfile: new URL("dist/agent.js", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  minify: true,
  sourcemap: false,
  legalComments: "eof",
  define: { __BOTBOX_AGENT_VERSION__: JSON.stringify(version) },
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
});
await writeFile(new URL("dist/package.json", import.meta.url), `${JSON.stringify({ type: "commonjs" })}\n`);
