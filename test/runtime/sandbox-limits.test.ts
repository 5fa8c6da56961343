import assert from "node:assert/strict";
import { access, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";

import { BotCgroup, detectCgroups } from "../../packages/server/src/runtime/sandbox/cgroups.js";
import { sandboxSuite } from "./support.js";

const CGROUP_ROOT = "/sys/fs/cgroup";
const support = await detectCgroups();

describe("sandbox resource limits", () => {
  const suite = sandboxSuite();

  it("doctor says whether limits can be applied", async () => {
    const check = (await suite.runtime.doctor()).find((entry) => entry.name === "resource limits");
    assert.equal(check?.ok, support.mode !== "none");
    console.log(`resource limits: ${check?.detail}`);
  });

  it("a machine without cgroup controllers is reported, not failed", async () => {
    const fake = await mkdtemp(path.join(tmpdir(), "botbox-cgroup-"));
    try {
      const found = await detectCgroups(fake);
      assert.equal(found.mode, "none");
      assert.ok(found.reason);
    } finally {
      await rm(fake, { recursive: true });
    }
  });

  // That the limits reach the kernel, and that a fork storm stops at pids, is the runtime contract's test.
  it(
    "every process of the bot is in its cgroup, which is charged for what it writes and goes with the task",
    { skip: support.mode === "none" && "no usable cgroups here" },
    async () => {
      const [spec, client] = await suite.started({ limits: { memoryBytes: 128 * 2 ** 20 } });
      const task = await suite.runtime.taskInfo(spec.id);
      const folder = (controller: string) =>
        support.mode === "v2"
          ? path.join(CGROUP_ROOT, "botbox", spec.id)
          : path.join(CGROUP_ROOT, controller, "botbox", spec.id);
      for (const controller of ["memory", "pids", "cpu"]) {
        const members = (await readFile(path.join(folder(controller), "cgroup.procs"), "utf8")).trim().split("\n");
        assert.ok(members.map(Number).includes(task.pid!), `init in the ${controller} cgroup`);
        assert.ok(members.length >= 2, "the agent too");
      }
      // What the kernel charges the bot, read as the density benchmark does:
      // 32 MiB written into /data sit in the page cache on the bot's account.
      const cgroup = BotCgroup.for(support, spec.id);
      const before = (await cgroup.memoryUsageBytes())!;
      assert.ok(before > 2 ** 20 && before < 128 * 2 ** 20, `charged ${before} bytes at rest`);
      await client.exec("head -c 33554432 /dev/zero > /data/big");
      const after = (await cgroup.memoryUsageBytes())!;
      assert.ok(after - before >= 30 * 2 ** 20, `charged ${after - before} more bytes after writing 32 MiB`);
      await suite.runtime.stopTask(spec.id);
      await assert.rejects(access(folder("pids")), "the cgroup goes with the task");
    },
  );
});
