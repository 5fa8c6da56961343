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

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  minify: true,
  sourcemap: false,
  legalComments: "eof",
  logLevel: "warning",
};
await build({
  ...common,
  entryPoints: [new URL("src/main.ts", import.meta.url).pathname],
  outfile: new URL("dist/agent.js", import.meta.url).pathname,
  define: { __BOTBOX_AGENT_VERSION__: JSON.stringify(version) },
  banner: { js: "#!/usr/bin/env node" },
});
// The sandbox runtime starts the agent through this loader with a V8 code cache.
await build({
  ...common,
  entryPoints: [new URL("src/code-cache-start.ts", import.meta.url).pathname],
  outfile: new URL("dist/agent-start.js", import.meta.url).pathname,
});
await writeFile(new URL("dist/package.json", import.meta.url), `${JSON.stringify({ type: "commonjs" })}\n`);
