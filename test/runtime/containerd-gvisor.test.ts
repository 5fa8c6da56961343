/**
 * gVisor on containerd (issue 13 §4): `isolation: "gvisor"` runs the bot
 * through the runc shim with runsc as its binary. The agent channel, /data,
 * snapshots, limits and the isolated network keep working; a runtime
 * without runsc refuses it. Prints the cold start of both isolations.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "node:test";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { BadRequestError } from "../../packages/server/src/errors.js";
import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/defaults.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { containerdSuite, containerdUnavailable } from "./containerd-support.js";
import { hostAddress, hostListener, probe } from "./isolation-support.js";
import { botSpec } from "./support.js";

const unavailable =
  (await containerdUnavailable()) ??
  ((await import("../../packages/server/src/runtime/containerd/gvisor.js")).findRunsc()
    ? undefined
    : "runsc is not installed (apt-get install runsc)");

describe("containerd runtime: gVisor", { skip: unavailable, timeout: 600_000 }, () => {
  const suite = containerdSuite({ startTimeoutMs: 60_000 });
  const sh = suite.output;
  /** A bot started and answering, and how long from startTask until it answered. */
  const started = async (overrides: Partial<ContainerSpec>): Promise<[ContainerSpec, AgentClient, number]> => {
    const spec = await suite.created(overrides);
    const startedAt = Date.now();
    const client = await suite.startedAgain(spec);
    return [spec, client, Date.now() - startedAt];
  };

  it("offers gVisor when runsc is found, and refuses it clearly when not", async () => {
    assert.equal(suite.runtime.capabilities.gvisor, true);
    const doctor = await suite.runtime.doctor();
    assert.match(doctor.find((check) => check.name === "gVisor")?.detail ?? "", /available/);
    const without = await suite.open({ runscPath: "" });
    assert.equal(without.capabilities.gvisor, false);
    const spec = botSpec({ image: DEFAULT_AGENT_IMAGE, network: "none", isolation: "gvisor" });
    await assert.rejects(without.createContainer(spec), (error: Error) => {
      assert.ok(error instanceof BadRequestError);
      assert.match(error.message, /gvisor.*runsc/i);
      return true;
    });
  });

  it("a gVisor bot answers over its socket, runs under gVisor's kernel and keeps /data on the host", async () => {
    const [spec, client, gvisorMs] = await started({ isolation: "gvisor" });
    const [, runcClient, runcMs] = await started({});
    assert.match(await sh(client, "dmesg | head -n 1"), /gVisor/);
    assert.doesNotMatch(await sh(runcClient, "dmesg 2>&1 | head -n 1"), /gVisor/);
    await sh(client, "echo from-gvisor > /data/note.txt");
    const onHost = await readFile(path.join(suite.home, "bots", spec.botId, "data", "note.txt"), "utf8");
    assert.equal(onHost, "from-gvisor\n");
    console.log(`cold start (start to agent ready), network none: runc ${runcMs} ms, gVisor ${gvisorMs} ms`);
    assert.equal((await suite.runtime.getContainer(spec.id))?.isolation, "gvisor");
  });

  it("limits hold: the bot's cgroup carries its memory and pids limits", async () => {
    const [spec] = await started({ isolation: "gvisor", limits: { memoryBytes: 256 * 2 ** 20, pids: 128 } });
    // cgroup v2 (one tree) or v1 (a tree per controller), whichever the host mounts.
    const v2 = path.join("/sys/fs/cgroup/botbox", spec.id);
    const [memory, pids] = existsSync(path.join(v2, "memory.max"))
      ? [path.join(v2, "memory.max"), path.join(v2, "pids.max")]
      : [
          path.join("/sys/fs/cgroup/memory/botbox", spec.id, "memory.limit_in_bytes"),
          path.join("/sys/fs/cgroup/pids/botbox", spec.id, "pids.max"),
        ];
    assert.equal((await readFile(memory, "utf8")).trim(), String(256 * 2 ** 20));
    assert.equal((await readFile(pids, "utf8")).trim(), "128");
    // Usage from that cgroup: memory yes; its task count is runsc's threads, not the bot's processes.
    const task = await suite.runtime.taskInfo(spec.id);
    assert.ok(task.memoryBytes! > 0, JSON.stringify(task));
    assert.equal(task.oomKills, 0);
    assert.equal(task.processes, undefined);
  });

  it("an isolated gVisor bot cannot reach the host's address", async () => {
    const listener = await hostListener();
    try {
      const [, client] = await started({ isolation: "gvisor", network: "isolated" });
      assert.equal(await probe(client, await hostAddress(), listener.port), "blocked");
    } finally {
      listener.close();
    }
  });

  it("snapshots: commit, change, restore brings the writable layer and /data back", async () => {
    const [spec, client] = await started({ isolation: "gvisor" });
    await sh(client, "echo kept > /root/layer.txt && echo kept > /data/data.txt");
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.commitSnapshot(spec.id, "first");
    await writeFile(path.join(suite.home, "bots", spec.botId, "data", "data.txt"), "changed\n");
    await suite.runtime.restoreSnapshot(spec.id, "first");
    const again = await suite.startedAgain(spec);
    assert.equal(await sh(again, "cat /root/layer.txt /data/data.txt"), "kept\nkept");
  });

  it("a kept gVisor layer is recovered as a snapshot, not reused, when the bot comes back remapped", async () => {
    const [spec, client] = await started({ isolation: "gvisor" });
    await sh(client, "echo from-gvisor > /root/kept.txt");
    await suite.runtime.stopTask(spec.id);
    await suite.runtime.deleteContainer(spec.id, { keepData: true });
    await suite.runtime.createContainer({ ...spec, isolation: "namespaces" });
    const again = await suite.startedAgain(spec);
    // The fresh layer is the bot's own: root can change the image's files.
    assert.equal(await sh(again, "echo x >> /etc/issue && echo changed"), "changed");
    const snapshots = await suite.runtime.listSnapshots(spec.id);
    assert.ok(
      snapshots.some((snapshot) => snapshot.name.startsWith("recovered-")),
      JSON.stringify(snapshots),
    );
  });
});
