import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { KeyedLock } from "./keyed-lock.js";

describe("KeyedLock", () => {
  it("runs one key's work one at a time, in order, even when some of it fails", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const step = (name: string, ms: number, fail = false) =>
      lock.run("bot", async () => {
        log.push(`start ${name}`);
        await sleep(ms);
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([step("a", 20), step("b", 1, true), step("c", 5)]);
    assert.deepEqual(log, ["start a", "end a", "start b", "end b", "start c", "end c"]);
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "rejected", "fulfilled"],
    );
    await sleep(0);
    assert.equal(lock.busy, 0);
  });

  it("lets different keys run at the same time", async () => {
    const lock = new KeyedLock();
    let running = 0;
    let peak = 0;
    const work = async () => {
      running++;
      peak = Math.max(peak, running);
      await sleep(10);
      running--;
    };
    await Promise.all([lock.run("a", work), lock.run("b", work), lock.run("c", work)]);
    assert.equal(peak, 3);
  });
});
