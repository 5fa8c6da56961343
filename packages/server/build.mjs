// Bundles the `botbox` command into dist/botbox.js: one file that starts in a
// fraction of the time tsx needs to compile the sources (a server restart
// should re-attach to its bots within seconds). Native and optional modules
// stay outside the bundle and load from node_modules.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("src/cli/main.ts", import.meta.url).pathname],
  outfile: new URL("dist/botbox.js", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // A third smaller to parse at every start (re-attach after a restart waits
  // for it); identifiers stay, so stack traces in logs stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: "linked",
  // Native or optional: loaded from node_modules at run time (ssh2 and cpu-features
  // come with dockerode for ssh:// Docker hosts, which botbox does not use).
  external: ["better-sqlite3", "pg-native", "ssh2", "cpu-features"],
  banner: {
    js: "import { createRequire as __botboxRequire } from 'node:module'; const require = __botboxRequire(import.meta.url);",
  },
  logLevel: "warning",
});
