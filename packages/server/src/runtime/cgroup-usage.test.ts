import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { cgroupFoldersOf, readCgroupUsage, withCgroupUsage } from "./cgroup-usage.js";

describe("a cgroup's usage counters", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "cgroup-usage-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("finds this process's own memory cgroup, on v1 or v2, and reads what it is charged", async () => {
    const folders = cgroupFoldersOf(process.pid);
    assert.ok(folders?.memory, "this process has a memory cgroup");
    const usage = readCgroupUsage(folders);
    assert.ok(usage.memoryBytes! > 0, JSON.stringify(usage));
    assert.equal(typeof usage.oomKills, "number");
  });

  it("reads each version's own files, and leaves out what is missing or not a number", async () => {
    await writeFile(path.join(dir, "memory.current"), "1234\n");
    await writeFile(path.join(dir, "memory.events"), "low 0\nhigh 0\nmax 3\noom 2\noom_kill 1\n");
    await writeFile(path.join(dir, "pids.current"), "7\n");
    assert.deepEqual(readCgroupUsage({ version: "v2", memory: dir, pids: dir }), {
      memoryBytes: 1234,
      processes: 7,
      oomKills: 1,
    });
    await writeFile(path.join(dir, "memory.usage_in_bytes"), "max\n");
    await writeFile(path.join(dir, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
    assert.deepEqual(readCgroupUsage({ version: "v1", memory: dir }), { oomKills: 4 });
  });

  it("reads CPU seconds: v2 from cpu.stat's usage_usec, v1 from cpuacct.usage in nanoseconds", async () => {
    const v2 = path.join(dir, "cpu-v2");
    const v1 = path.join(dir, "cpu-v1");
    await mkdir(v2);
    await mkdir(v1);
    await writeFile(path.join(v2, "cpu.stat"), "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n");
    await writeFile(path.join(v1, "cpuacct.usage"), "1500000000\n");
    assert.equal(readCgroupUsage({ version: "v2", memory: v2, pids: v2 }).cpuSeconds, 2.5);
    assert.equal(readCgroupUsage({ version: "v1", memory: v1, cpuacct: v1 }).cpuSeconds, 1.5);
    assert.equal(readCgroupUsage({ version: "v1", memory: v1 }).cpuSeconds, undefined);
  });

  it("knows nothing of a process that is gone, and leaves a stopped task's info alone", async () => {
    assert.equal(cgroupFoldersOf(2 ** 22 + 1), undefined);
    assert.deepEqual(await withCgroupUsage({ state: "stopped", pid: process.pid }), {
      state: "stopped",
      pid: process.pid,
    });
    assert.deepEqual(await withCgroupUsage({ state: "running", pid: 2 ** 22 + 1 }), {
      state: "running",
      pid: 2 ** 22 + 1,
    });
  });

  it("leaves a gVisor task's count out: the kernel counts the sandbox's threads, not the bot's processes", async () => {
    await writeFile(path.join(dir, "memory.current"), "1234\n");
    await writeFile(path.join(dir, "pids.current"), "80\n");
    const read = () => readCgroupUsage({ version: "v2", memory: dir, pids: dir });
    const running = { state: "running", pid: process.pid };
    assert.equal((await withCgroupUsage(running, { read })).processes, 80);
    const gvisor = await withCgroupUsage(running, { gvisor: true, read });
    assert.equal(gvisor.processes, undefined);
    assert.equal(gvisor.memoryBytes, 1234);
  });
});
