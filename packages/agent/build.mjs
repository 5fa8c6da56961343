// Bundles the agent into one self-contained file, dist/agent.js, that runs
// with `node agent.js` and nothing beside it, so it can be copied into any
// image that has Node.js.
import { readFile } from "node:fs/promises";

import { build } from "esbuild";

const { version } = JSON.parse(await readFile(new URL("package.json", import.meta.url), "utf8"));

await build({
  entryPoints: [new URL("src/main.ts", import.meta.url).pathname],
  outfile: new URL("dist/agent.js", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  sourcemap: false,
  legalComments: "eof",
  define: { __BOTBOX_AGENT_VERSION__: JSON.stringify(version) },
  // Some CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __botboxRequire } from 'node:module'; const require = __botboxRequire(import.meta.url);",
  },
  logLevel: "warning",
});
