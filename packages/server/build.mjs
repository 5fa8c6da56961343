// Bundles the `botbox` command into dist/botbox-main.js, started by
// dist/botbox.js with a V8 code cache: it starts in a fraction of the time
// tsx needs to compile the sources (a server restart should re-attach to its
// bots within seconds). Native and optional modules stay outside the bundle
// and load from node_modules.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, readFile, rm, writeFile } from "node:fs/promises";
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
// Code caches of an earlier build must not outlive it.
await rm(dist, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  // CommonJS: a V8 code cache can be used for a script, not (in Node 20) for
  // an ES module; and what is imported with import() (the client commands,
  // the MCP SDK, Docker and containerd backends) is then only run when first
  // used, not at every start.
  format: "cjs",
  logLevel: "warning",
};

const mainFile = path.join(dist, "botbox-main.js");
await build({
  ...common,
  entryPoints: [new URL("src/cli/main.ts", import.meta.url).pathname],
  outfile: mainFile,
  // Identifiers stay, so stack traces in logs stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: "linked",
  // Licence comments go to botbox-main.js.LEGAL.txt: the bundle stays pure
  // ASCII, which the loader reads as Latin-1, twice as fast as UTF-8.
  legalComments: "linked",
  charset: "ascii",
  // Native or optional: loaded from node_modules at run time (ssh2 and cpu-features
  // come with dockerode for ssh:// Docker hosts, which botbox does not use).
  external: ["better-sqlite3", "pg-native", "ssh2", "cpu-features"],
  define: { "import.meta.url": "__botboxModuleUrl" },
  banner: { js: "const __botboxModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [missingContainerdStubs],
});

const mainSource = await readFile(mainFile);
if (mainSource.some((byte) => byte > 0x7f))
  throw new Error(`${mainFile} is not pure ASCII: the loader reads it as Latin-1`);

// The command itself (`dist/botbox.js`): runs botbox-main.js with a code cache
// named after this build.
const buildId = createHash("sha256").update(mainSource).digest("hex").slice(0, 16);
await build({
  ...common,
  entryPoints: [new URL("src/cli/code-cache-start.ts", import.meta.url).pathname],
  outfile: path.join(dist, "botbox.js"),
  define: { __BOTBOX_BUILD_ID__: JSON.stringify(buildId) },
  banner: { js: "#!/usr/bin/env node" },
});
await chmod(path.join(dist, "botbox.js"), 0o755);
await writeFile(path.join(dist, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
