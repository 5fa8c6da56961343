import assert from "node:assert/strict";
import { access } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";

import { memoryCgroupOf, oomKillsOfProcess, withOomKills } from "./process-cgroup.js";

describe("a process's memory cgroup", () => {
  it("finds this process's memory cgroup and its OOM count file, on v1 or v2", async () => {
    const cgroup = await memoryCgroupOf(process.pid);
    assert.ok(cgroup, "this process has a memory cgroup");
    await access(path.join(cgroup.folder, cgroup.eventsFile));
    assert.equal(typeof (await oomKillsOfProcess(process.pid)), "number");
  });

  it("knows nothing of a process that is gone, and leaves a stopped task's info alone", async () => {
    assert.equal(await memoryCgroupOf(2 ** 22 + 1), undefined);
    assert.deepEqual(await withOomKills({ state: "stopped", pid: process.pid }), {
      state: "stopped",
      pid: process.pid,
    });
    assert.equal(typeof (await withOomKills({ state: "running", pid: process.pid })).oomKills, "number");
  });
});
