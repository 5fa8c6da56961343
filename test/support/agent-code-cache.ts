// The agent's V8 code cache for the tests' agents, as the sandbox runtime
// uses one for its bots (packages/server/src/runtime/sandbox/code-cache.ts):
// an agent started through dist/agent-start.js with the cache skips
// compiling most of its bundle and the handlers of its first calls. The unit
// tier starts about a hundred agents; this is about 30 ms of CPU off each.
//
// The cache is made once per bundle, node and user (keyed by their hash,
// under the temporary folder), by the same node that runs the tests; two
// test processes that make it at once each write a file of their own and
// rename it into place, so either result is whole. If it cannot be made the
// agents start without it: V8 compiles as usual, and nothing tested depends
// on the cache.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { writeCodeCache } from "../../packages/server/src/runtime/sandbox/code-cache.js";

let made: Promise<string | undefined> | undefined;

/** The cache file for `bundle` (dist/agent.js) and this node, made on first use; undefined if it cannot be made. */
export function agentCodeCache(bundle: string): Promise<string | undefined> {
  made ??= ensure(bundle).catch((error: unknown) => {
    process.stderr.write(`agents start without a code cache: ${(error as Error).message}\n`);
    return undefined;
  });
  return made;
}

/** dist/agent-start.js: the loader that runs agent.js beside it with a code cache. */
export function agentLoaderOf(bundle: string): string {
  return path.join(path.dirname(bundle), "agent-start.js");
}

async function ensure(bundle: string): Promise<string> {
  const [agent, loader] = await Promise.all([readFile(bundle), readFile(agentLoaderOf(bundle))]);
  const key = createHash("sha256")
    .update(agent)
    .update(loader)
    .update(`${process.execPath} ${process.version} ${process.arch}`)
    .digest("hex")
    .slice(0, 32);
  const folder = path.join(tmpdir(), `botbox-test-agent-cache-${process.getuid?.() ?? "any"}`);
  const cache = path.join(folder, `${key}.cache`);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  // V8 runs what a cache holds: only from a folder no one else could have written to.
  const owner = await stat(folder);
  if (owner.uid !== process.getuid?.() || (owner.mode & 0o022) !== 0)
    throw new Error(`${folder} is not this user's alone`);
  if ((await stat(cache).catch(() => undefined))?.isFile()) return cache;
  const ownCopy = path.join(folder, `${key}.${process.pid}.cache`);
  await makeCache(bundle, ownCopy);
  await rename(ownCopy, cache);
  return cache;
}

/** The sandbox's own way of making the cache, with this node and the bundle's loader. */
function makeCache(bundle: string, writeTo: string): Promise<void> {
  return writeCodeCache(process.execPath, agentLoaderOf(bundle), writeTo);
}
