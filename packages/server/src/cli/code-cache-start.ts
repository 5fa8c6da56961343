/**
 * `dist/botbox.js`: starts the bundled command (`botbox-main.js`, beside this
 * file) with a V8 code cache, so a server start skips compiling the 4 MB
 * bundle and the functions it runs to start (about 150 ms of CPU a start; a
 * restarted server re-attaches its bots that much sooner).
 *
 * The cache is made by a server itself, a few seconds after it is ready, so
 * that it holds the code of start-up and re-attach, and only when it had no
 * usable cache. It lives beside the bundle, named after the bundle's build
 * and the node that made it: a rebuild empties dist/, and V8 rejects a cache
 * made with other flags. Where dist/ is read-only there is no cache, and
 * botbox starts as usual.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import path from "node:path";
import { Script } from "node:vm";

import { CODE_CACHE_HOOK, type CodeCacheHook } from "./code-cache-hook.js";

declare const __BOTBOX_BUILD_ID__: string;

const mainFile = path.join(__dirname, "botbox-main.js");
const cacheFile = path.join(__dirname, `botbox-main.${__BOTBOX_BUILD_ID__}.${process.version}-${process.arch}.cache`);

const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
// The build checks that the bundle is pure ASCII, so Latin-1 reads it exactly,
// and faster than UTF-8. It keeps main.ts's "#!" line, which a function body
// cannot hold.
const source = readFileSync(mainFile, "latin1").replace(/^#!.*/, "");
const script = new Script(Module.wrap(source), { filename: mainFile, cachedData });
const state = cachedData === undefined ? "none" : script.cachedDataRejected ? "rejected" : "used";
const usable = state === "used";

const hook: CodeCacheHook = {
  state,
  wanted: !usable,
  write() {
    if (usable) return;
    try {
      const temporary = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, script.createCachedData(), { mode: 0o644 });
      renameSync(temporary, cacheFile);
    } catch {
      // A read-only install: botbox starts without a cache, as it would anyway.
    }
  },
};
(globalThis as Record<symbol, unknown>)[CODE_CACHE_HOOK] = hook;

const mainModule = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void).call(
  mainModule.exports,
  mainModule.exports,
  createRequire(mainFile),
  mainModule,
  mainFile,
  __dirname,
);
