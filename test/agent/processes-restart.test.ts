// Processes outlive their agent: the agent is killed and started again on
// the same state folder, and finds its processes, their output and their
// keepers again.
import assert from "node:assert/strict";
import { once } from "node:events";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { startAgentProcess } from "../support/agent-process.js";
import { collect, outputContains, startSupervisedAgent, supervise, type SupervisedAgent } from "./processes-support.js";
import { processGone, waitFor } from "./support.js";

describe("processes across an agent restart", { timeout: 60_000 }, () => {
  const boxes: SupervisedAgent[] = [];
  const roots: string[] = [];

  after(async () => {
    for (const box of boxes.reverse()) await box.stop().catch(() => undefined);
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it("a process keeps running while the agent is killed and restarted, and no line of its output is lost", async () => {
    const first = await startSupervisedAgent({ token: "restart-token" });
    roots.push(path.dirname(first.agent.socketPath!));
    // Counts until the test creates `release`, after the restart: it runs
    // through the whole time without an agent, however long that takes, and
    // no longer.
    const release = path.join(first.agent.dataDir, "release");
    const counter = await first.client.start(
      { shell: `i=1; while [ ! -e '${release}' ]; do echo line $i; i=$((i+1)); sleep 0.01; done` },
      { tag: "counter" },
    );
    const reader = await first.client.start({ argv: ["cat"] }, { tag: "reader" });
    await first.client.sendInput({ id: reader.id }, "before\n");
    assert.ok(await outputContains(first.client, { id: counter.id }, "line 10\n"));

    // Killed outright: no chance to hand anything over.
    first.agent.child.kill("SIGKILL");
    await once(first.agent.child, "exit");
    first.client.close();
    first.raw.close();
    const processDir = path.join(path.dirname(first.agent.socketPath!), "processes", counter.id);
    const loggedAtKill = logBytes(processDir);
    // Until its log grows (within 5 s), not a fixed half second.
    assert.ok(
      await waitFor(() => logBytes(processDir) > loggedAtKill, 5_000),
      "the process ran on, logged, while no agent was there",
    );

    const second = supervise(
      await startAgentProcess({
        transport: "unix",
        socketPath: first.agent.socketPath,
        dataDir: first.agent.dataDir,
        token: "restart-token",
      }),
      "restart-token",
    );
    boxes.push(second);
    const found = await second.client.get({ tag: "counter" });
    assert.equal(found.id, counter.id);
    assert.equal(found.pid, counter.pid);

    // Still counting under the new agent, then released: every line from the first on, none missing.
    const counted = (await collect(second.client, { id: counter.id }, { follow: false })).text.split("\n").length;
    assert.ok(await outputContains(second.client, { id: counter.id }, `line ${counted + 5}\n`));
    writeFileSync(release, "");
    const output = await collect(second.client, { id: counter.id });
    const lines = output.text.split("\n").filter(Boolean);
    assert.ok(lines.length > 10, `only ${lines.length} lines`);
    assert.deepEqual(
      lines,
      Array.from({ length: lines.length }, (_, index) => `line ${index + 1}`),
    );
    assert.equal(output.exit?.exitCode, 0);

    // Input and signals reach a process the previous agent started.
    await second.client.sendInput({ tag: "reader" }, "after\n");
    await second.client.closeInput({ tag: "reader" });
    const echoed = await collect(second.client, { tag: "reader" });
    assert.equal(echoed.text, "before\nafter\n");
    assert.equal(echoed.exit?.exitCode, 0);
  });

  it("a graceful stop ends attached readers at once, naming the offset to go on from; the process runs on", async () => {
    const first = await startSupervisedAgent();
    roots.push(path.dirname(first.agent.socketPath!));
    const started = await first.client.start({ shell: "echo start; sleep 300" });
    assert.ok(await outputContains(first.client, { id: started.id }, "start"));
    const following = collect(first.client, { id: started.id });
    await sleep(200);
    const stopAsked = Date.now();
    first.agent.child.kill("SIGTERM");
    await assert.rejects(following, /the agent is stopping; attach again from offset 6/);
    await once(first.agent.child, "exit");
    const stopMs = Date.now() - stopAsked;
    assert.ok(stopMs < 3_000, `stopped in ${stopMs} ms, not after the 5 s grace`);
    first.client.close();
    first.raw.close();

    const second = supervise(
      await startAgentProcess({ transport: "unix", socketPath: first.agent.socketPath, dataDir: first.agent.dataDir }),
    );
    boxes.push(second);
    assert.equal((await second.client.get({ id: started.id })).status, "running");
    const rest = await collect(second.client, { id: started.id }, { offset: 6, follow: false });
    assert.equal(rest.text, "");
  });

  it("a process whose keeper was killed from outside is reported lost, not running", async () => {
    const box = await startSupervisedAgent();
    boxes.push(box);
    const started = await box.client.start({ shell: "sleep 300" });
    const record = JSON.parse(
      readFileSync(path.join(path.dirname(box.agent.socketPath!), "processes", started.id, "process.json"), "utf8"),
    ) as { keeperPid: number; pid: number };
    process.kill(record.keeperPid, "SIGKILL");
    assert.ok(await waitFor(async () => (await box.client.get({ id: started.id })).status === "lost", 5_000));
    await assert.rejects(box.client.signal({ id: started.id }, "TERM"), /is lost/);
    // The orphan is the test's to end.
    process.kill(-record.pid, "SIGKILL");
    assert.ok(await waitFor(() => processGone(record.pid), 5_000));
  });
});

/** Bytes in a process's output log segments. */
function logBytes(dir: string): number {
  return readdirSync(dir)
    .filter((name) => name.startsWith("out-"))
    .reduce((sum, name) => sum + statSync(path.join(dir, name)).size, 0);
}
