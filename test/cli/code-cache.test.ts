/**
 * `dist/botbox.js` starts the server with a V8 code cache that a server
 * writes beside the bundle a few seconds after it is ready; the next start
 * uses it. The cache is shared by every server of this checkout, so the
 * first server here may already have found one.
 */
import assert from "node:assert/strict";
import { readdir, rm } from "node:fs/promises";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

import { startBotboxServer } from "../support/botbox-server.js";

const DIST = fileURLToPath(new URL("../../packages/server/dist/", import.meta.url));

const codeCacheOf = (logs: Record<string, unknown>[]) =>
  logs.find((entry) => entry.msg === "botbox serving")?.codeCache;
const cacheFiles = async () => (await readdir(DIST)).filter((name) => name.endsWith(".cache"));

describe("the server's code cache", () => {
  it("is written by a server that had none, and taken by V8 at the next start", async () => {
    const first = await startBotboxServer();
    try {
      assert.ok(["used", "none", "rejected"].includes(String(codeCacheOf(first.logs))), JSON.stringify(first.logs));
      // Written 5 s after /ready when the start found no usable cache.
      for (let i = 0; i < 100 && (await cacheFiles()).length === 0; i++) await sleep(100);
      assert.equal((await cacheFiles()).length, 1, "one cache beside the bundle");
    } finally {
      await first.stop();
      await rm(first.home, { recursive: true, force: true });
    }
    const second = await startBotboxServer();
    try {
      assert.equal(codeCacheOf(second.logs), "used");
    } finally {
      await second.stop();
      await rm(second.home, { recursive: true, force: true });
    }
  });
});
