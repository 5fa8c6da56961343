// Bundles the `botbox` command into dist/botbox.js: one file that starts in a
// fraction of the time tsx needs to compile the sources (a server restart
// should re-attach to its bots within seconds). Native and optional modules
// stay outside the bundle and load from node_modules.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";

import { build } from "esbuild";

const generated = new URL("src/gen/containerd/", import.meta.url).pathname;

// The containerd API stubs are generated at build time from an installed
// package (scripts/gen-containerd-api.mjs) and may be missing: the bundle is
// still built, and the containerd backend, when selected, fails with this.
const missingContainerdStubs = {
  name: "missing-containerd-stubs",
  setup(bundle) {
    bundle.onResolve({ filter: /\/gen\/containerd\// }, (args) => {
      const target = path.resolve(args.resolveDir, args.path.replace(/\.js$/, ".ts"));
      if (!target.startsWith(generated) || existsSync(target)) return undefined;
      return { path: target, namespace: "missing-containerd-stubs" };
    });
    bundle.onLoad({ filter: /.*/, namespace: "missing-containerd-stubs" }, () => ({
      // CommonJS, so that any named import binds; it throws when the backend is first loaded.
      contents:
        'throw new Error("containerd backend needs the containerd API protos: apt-get install golang-github-containerd-containerd-dev, then npm run build");\nmodule.exports = {};',
      loader: "js",
    }));
  },
};

const dist = new URL("dist/", import.meta.url).pathname;
// Chunks of an earlier build would pile up: their names carry content hashes.
await rm(dist, { recursive: true, force: true });

await build({
  entryPoints: { botbox: new URL("src/cli/main.ts", import.meta.url).pathname },
  outdir: dist,
  // What `serve` does not need at start-up (the other commands, the MCP SDK,
  // the Docker and containerd backends, pg) sits in chunks loaded on first
  // use: the server parses and runs less before it re-attaches to its bots.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
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
  plugins: [missingContainerdStubs],
  logLevel: "warning",
});
