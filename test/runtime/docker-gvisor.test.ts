/**
 * gVisor bots on Docker: isolation "gvisor" runs the container with the
 * daemon's runsc runtime, and the agent channel, /data, snapshots, limits,
 * the hardening and the isolated network keep working. Skipped when the
 * daemon has no runsc (scripts/ci/docker.sh registers Debian's). Prints
 * cold starts of runc and gVisor bots.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { BadRequestError } from "../../packages/server/src/errors.js";
import { DEFAULT_AGENT_IMAGE } from "../../packages/server/src/runtime/docker/index.js";
import type { ContainerSpec } from "../../packages/server/src/runtime/runtime.js";
import { PRIVILEGE_PROBE } from "./docker-hardening-support.js";
import { dockerClient, dockerSuite, dockerUnavailable } from "./docker-support.js";
import { hostAddress, hostListener, probe } from "./isolation-support.js";
import { botSpec, waitForAgent } from "./support.js";

const unavailable =
  (await dockerUnavailable()) ??
  ("runsc" in ((await dockerClient().info()) as { Runtimes?: object }).Runtimes!
    ? undefined
    : "the daemon has no runsc runtime: start it with scripts/ci/docker.sh");
const BRIDGE = `botbox-gvisor-${process.pid}`;

describe("docker runtime: gVisor", { skip: unavailable }, () => {
  const suite = dockerSuite({ bridge: BRIDGE, startTimeoutMs: 30_000 });
  const { janitor, sh } = suite;
  // Every bot of this suite is a gVisor bot unless a test says otherwise.
  const created = (overrides: Partial<ContainerSpec> = {}) => suite.created({ isolation: "gvisor", ...overrides });
  const started = (overrides: Partial<ContainerSpec> = {}) => suite.started({ isolation: "gvisor", ...overrides });

  it("says gVisor is available once it has asked the daemon, and doctor says so", async () => {
    assert.equal((await suite.runtime.detectCapabilities()).gvisor, true);
    const check = (await suite.runtime.doctor()).find((entry) => entry.name === "gVisor");
    assert.equal(check?.ok, true, check?.detail);
  });

  it("runs the bot under runsc: gVisor's kernel answers, not the host's", async () => {
    const [spec, client] = await started();
    const inspect = await dockerClient().getContainer(spec.id).inspect();
    assert.equal(inspect.HostConfig.Runtime, "runsc");
    assert.equal((await suite.runtime.getContainer(spec.id))?.isolation, "gvisor");
    // gVisor's sentry reports its own kernel log; the host's dmesg is not there.
    assert.match(await sh(client, "dmesg 2>/dev/null | head -n 1"), /gVisor/i);
    assert.equal((await client.info()).botId, spec.botId);
  });

  it("keeps /data across restarts and commits and restores a snapshot", async () => {
    const [spec, client] = await started();
    /** Stops the bot's task, does `whileStopped`, starts it again and returns a client of its new agent. */
    const restartAround = async (whileStopped: () => Promise<unknown>) => {
      await suite.runtime.stopTask(spec.id, { timeoutMs: 5_000 });
      await whileStopped();
      await suite.runtime.startTask(spec.id);
      return janitor.client(await waitForAgent(suite.runtime, spec.id, 30_000));
    };
    await sh(client, "echo durable > /data/kept.txt && echo layer > /root/layer.txt");
    const again = await restartAround(() => suite.runtime.commitSnapshot(spec.id, "one"));
    assert.equal(await sh(again, "cat /data/kept.txt /root/layer.txt"), "durable\nlayer");
    await sh(again, "rm /data/kept.txt /root/layer.txt");
    const restored = await restartAround(() => suite.runtime.restoreSnapshot(spec.id, "one"));
    assert.equal(await sh(restored, "cat /data/kept.txt /root/layer.txt"), "durable\nlayer");
    assert.equal((await suite.runtime.getContainer(spec.id))?.isolation, "gvisor");
  });

  it("applies memory and pids limits to the sandbox", async () => {
    const [spec] = await started({ limits: { memoryBytes: 256 * 2 ** 20, pids: 128 } });
    const host = (await dockerClient().getContainer(spec.id).inspect()).HostConfig;
    assert.equal(host.Memory, 256 * 2 ** 20);
    assert.equal(host.PidsLimit, 128);
    // Its usage is the container's cgroup: memory yes, but the kernel's task
    // count there is runsc's threads, not the bot's processes, so none is given.
    const task = await suite.runtime.taskInfo(spec.id);
    assert.ok(task.memoryBytes! > 0, JSON.stringify(task));
    assert.equal(task.oomKills, 0);
    assert.equal(task.processes, undefined);
  });

  it("keeps the hardening: no privilege from a setuid binary, no chroot or raw socket", async () => {
    const [, client] = await started();
    // runsc 20221219 does not check CAP_MKNOD: the node is made, but it is one of gVisor's own
    // emulated devices, and one naming a host disk (loop0, block 7:0) opens nothing.
    assert.equal(await sh(client, PRIVILEGE_PROBE), "euid=65534 mknod=ok chroot=denied raw=denied");
    assert.equal(
      await sh(
        client,
        "mknod /tmp/host-disk b 7 0 2>/dev/null; head -c 1 /tmp/host-disk >/dev/null 2>&1 && echo read || echo refused",
      ),
      "refused",
    );
  });

  it("an isolated gVisor bot cannot reach the host; a host-mode one can", async () => {
    const listener = await hostListener();
    try {
      const address = await hostAddress();
      const [, isolated] = await started({ network: "isolated" });
      assert.equal(await probe(isolated, address, listener.port), "blocked");
      const [, open] = await started({ network: "host" });
      assert.equal(await probe(open, address, listener.port), "hello");
    } finally {
      listener.close();
    }
  });

  it("refuses a gVisor bot on a daemon without the runtime, naming what to configure", async () => {
    const without = suite.another({ gvisorRuntime: "absent-runsc" });
    const spec = botSpec({ image: DEFAULT_AGENT_IMAGE, isolation: "gvisor" });
    await assert.rejects(
      without.createContainer(spec),
      (error: unknown) => error instanceof BadRequestError && /daemon\.json.*absent-runsc/.test(error.message),
    );
    assert.equal(await without.getContainer(spec.id), undefined);
    assert.equal(without.capabilities.gvisor, false);
    await without.close();
  });

  it("cold start: runc vs gVisor (printed)", async () => {
    const coldStart = async (isolation: "namespaces" | "gvisor") => {
      const began = Date.now();
      const spec = await created({ isolation });
      await suite.runtime.startTask(spec.id);
      janitor.client(await waitForAgent(suite.runtime, spec.id, 30_000));
      return Date.now() - began;
    };
    const runs: Record<string, number[]> = { namespaces: [], gvisor: [] };
    for (let round = 0; round < 3; round++)
      for (const isolation of ["namespaces", "gvisor"] as const) runs[isolation]!.push(await coldStart(isolation));
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    console.log(
      `docker cold start (create + start + agent answers), ms: runc ${runs.namespaces!.join(", ")} (median ${median(runs.namespaces!)}); ` +
        `gVisor ${runs.gvisor!.join(", ")} (median ${median(runs.gvisor!)}); ratio ${(median(runs.gvisor!) / median(runs.namespaces!)).toFixed(2)}`,
    );
    assert.ok(runs.gvisor!.every((ms) => ms > 0));
  });
});
