// The process supervisor over a real agent: start, list, attach from an
// offset and follow, stdin, signals to the process group, bounded waits,
// the output cap, and processes that outlive the client that started them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { ProcessClient } from "../../packages/server/src/client/process-client.js";
import { agentCodeCache } from "../support/agent-code-cache.js";
import { AGENT_BUNDLE } from "../support/agent-process.js";
import { collect, outputContains, startSupervisedAgent, type SupervisedAgent } from "./processes-support.js";
import { processGone, waitFor } from "./support.js";

describe("process supervisor", { timeout: 60_000 }, () => {
  let box: SupervisedAgent;

  before(async () => {
    box = await startSupervisedAgent();
  });

  after(async () => {
    await box?.stop();
  });

  it("runs a shell line and keeps its stdout, stderr and exit code", async () => {
    const started = await box.client.start({ shell: "echo out; echo err >&2; exit 3" }, { tag: "first" });
    assert.equal(started.tag, "first");
    assert.ok(started.pid > 0);
    const done = await box.client.wait({ id: started.id }, 5_000);
    assert.equal(done.status, "exited");
    assert.equal(done.exitCode, 3);
    const output = await collect(box.client, { id: started.id });
    assert.equal(output.stdout, "out\n");
    assert.equal(output.stderr, "err\n");
    assert.equal(output.exit?.exitCode, 3);
  });

  it("runs argv directly, in the given folder, with the given environment", async () => {
    const made = await box.client.start({ argv: ["mkdir", "-p", "sub"] });
    assert.equal((await box.client.wait({ id: made.id }, 5_000)).exitCode, 0);
    const started = await box.client.start(
      { argv: ["sh", "-c", 'pwd; echo "$GREETING"'] },
      { cwd: "sub", env: { GREETING: "hi there" } },
    );
    await box.client.wait({ id: started.id }, 5_000);
    const output = await collect(box.client, { id: started.id });
    assert.equal(output.stdout, `${box.agent.dataDir}/sub\nhi there\n`);
    assert.equal(started.cwd, `${box.agent.dataDir}/sub`);
  });

  it("lists processes with id, tag, command, start time, status and exit code; gets one by tag", async () => {
    const started = await box.client.start({ shell: "sleep 30" }, { tag: "sleeper" });
    const listed = await box.client.list();
    const entry = listed.find((process) => process.id === started.id);
    assert.ok(entry);
    assert.equal(entry.status, "running");
    assert.equal(entry.shell, "sleep 30");
    assert.match(entry.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(entry.exitCode, undefined);
    const first = listed.find((process) => process.tag === "first");
    assert.equal(first?.exitCode, 3);
    assert.equal((await box.client.get({ tag: "sleeper" })).id, started.id);
    assert.deepEqual(
      (await box.client.list({ tag: "sleeper" })).map((process) => process.id),
      [started.id],
    );
    await box.client.signal({ tag: "sleeper" }, "KILL");
    const killed = await box.client.wait({ tag: "sleeper" }, 5_000);
    assert.equal(killed.signal, "SIGKILL");
    assert.equal(killed.exitCode, 137);
  });

  it("attaches from a byte offset and gets only what follows it", async () => {
    const started = await box.client.start({ shell: "printf 0123456789" });
    await box.client.wait({ id: started.id }, 5_000);
    const output = await collect(box.client, { id: started.id }, { offset: 4 });
    assert.equal(output.text, "456789");
    const first = output.events[0];
    assert.equal(first?.type === "output" && first.offset, 4);
  });

  it("follows live output, then ends with the exit", async () => {
    const started = await box.client.start({ shell: "for i in 1 2 3 4 5; do echo line $i; sleep 0.1; done" });
    const output = await collect(box.client, { id: started.id });
    assert.equal(output.text, "line 1\nline 2\nline 3\nline 4\nline 5\n");
    assert.equal(output.exit?.status, "exited");
    assert.equal(output.exit?.exitCode, 0);
  });

  it("without follow, returns what is there and ends while the process runs on", async () => {
    const started = await box.client.start({ shell: "echo ready; sleep 30" });
    assert.ok(await outputContains(box.client, { id: started.id }, "ready"));
    const output = await collect(box.client, { id: started.id }, { follow: false });
    assert.equal(output.text, "ready\n");
    assert.equal(output.exit, undefined);
    assert.equal((await box.client.get({ id: started.id })).status, "running");
    await box.client.signal({ id: started.id }, "TERM");
  });

  it("passes stdin to the process and closes it on request", async () => {
    const started = await box.client.start({ argv: ["cat"] });
    const reading = collect(box.client, { id: started.id });
    await box.client.sendInput({ id: started.id }, "hello\n");
    await box.client.sendInput({ id: started.id }, Buffer.from("bytes\n"));
    assert.equal((await box.client.get({ id: started.id })).inputOpen, true);
    await box.client.closeInput({ id: started.id });
    const output = await reading;
    assert.equal(output.text, "hello\nbytes\n");
    assert.equal(output.exit?.exitCode, 0);
  });

  it("sends a signal to the whole process group: a background child dies too", async () => {
    const started = await box.client.start({ shell: "sleep 300 & echo $!; wait" });
    assert.ok(await outputContains(box.client, { id: started.id }, "\n"));
    const childPid = Number((await collect(box.client, { id: started.id }, { follow: false })).text.trim());
    assert.ok(childPid > 0 && !processGone(childPid), "the background child runs");
    await box.client.signal({ id: started.id }, "SIGTERM");
    const done = await box.client.wait({ id: started.id }, 5_000);
    assert.equal(done.signal, "SIGTERM");
    assert.equal(done.exitCode, 143);
    assert.ok(await waitFor(() => processGone(childPid), 5_000), "the child got the group's signal");
  });

  it("answers a wait at its bound with the process still running", async () => {
    const started = await box.client.start({ shell: "sleep 30" });
    const begun = Date.now();
    const waited = await box.client.wait({ id: started.id }, 300);
    const tookMs = Date.now() - begun;
    assert.equal(waited.status, "running");
    assert.ok(tookMs >= 250 && tookMs < 3_000, `waited ${tookMs} ms`);
    await box.client.signal({ id: started.id }, "KILL");
    assert.equal((await box.client.wait({ id: started.id }, 5_000)).status, "exited");
  });

  it("keeps at most the output cap, drops the oldest first and says how much was dropped", async () => {
    const limit = 64 * 1024;
    // 20000 numbered lines of 50 bytes: about 1 MB, 15 times the cap.
    const started = await box.client.start(
      { shell: "i=0; while [ $i -lt 20000 ]; do printf '%049d\\n' $i; i=$((i+1)); done" },
      { outputLimitBytes: limit },
    );
    const done = await box.client.wait({ id: started.id }, 30_000);
    assert.equal(done.outputBytes, 20_000 * 50);
    assert.ok(done.droppedBytes >= done.outputBytes - limit, `dropped ${done.droppedBytes}`);
    assert.ok(done.droppedBytes < done.outputBytes - limit / 2, `kept ${done.outputBytes - done.droppedBytes}`);
    const output = await collect(box.client, { id: started.id });
    assert.deepEqual(output.events[0], { type: "dropped", from: 0, to: done.droppedBytes });
    assert.equal(output.text.length, done.outputBytes - done.droppedBytes);
    const lines = output.text.split("\n").filter(Boolean);
    assert.equal(Number(lines.at(-1)), 19_999, "the newest output is kept");
    // An offset into the kept part replays from exactly there.
    const tail = await collect(box.client, { id: started.id }, { offset: done.outputBytes - 50 });
    assert.equal(tail.text, `${"0".repeat(44)}19999\n`);
  });

  it("keeps running when the client that started it goes away, and a new client reads it all", async () => {
    const first = new ProcessClient({ address: box.agent.address });
    const started = await first.start({ shell: "for i in $(seq 1 20); do echo tick $i; sleep 0.05; done" });
    // Attach, read a little, and drop the connection mid-stream.
    for await (const event of first.attach({ id: started.id })) if (event.type === "output") break;
    first.close();
    const second = new ProcessClient({ address: box.agent.address });
    try {
      const output = await collect(second, { id: started.id });
      const lines = output.text.split("\n").filter(Boolean);
      assert.deepEqual(
        lines,
        Array.from({ length: 20 }, (_, index) => `tick ${index + 1}`),
      );
      assert.equal(output.exit?.exitCode, 0);
    } finally {
      second.close();
    }
  });

  it("a reader that never reads holds the keeper to a bounded socket, not memory; others read on", async () => {
    // 16 MiB of output while one attach stalls; a second attach must still finish.
    const started = await box.client.start({ shell: "head -c 16777216 /dev/zero" }, { outputLimitBytes: 32 * 2 ** 20 });
    const stalled = box.client.attach({ id: started.id });
    await stalled.next(); // take one event, then read no more
    const output = await collect(box.client, { id: started.id });
    assert.equal(output.text.length, 16 * 2 ** 20);
    await stalled.return(undefined);
  });

  it("starts its keeper with the agent's code cache, which the process itself never sees", async (t) => {
    const cache = await agentCodeCache(AGENT_BUNDLE);
    if (!cache) return t.skip("no code cache could be made here");
    // sh's parent is the keeper: its environment at exec, then the process's own.
    const started = await box.client.start({
      shell:
        "tr '\\0' '\\n' < /proc/$PPID/environ | grep '^BOTBOX_AGENT_CODE_CACHE='; env | grep -c '^BOTBOX_AGENT_CODE_CACHE='",
    });
    await box.client.wait({ id: started.id }, 5_000);
    assert.equal((await collect(box.client, { id: started.id })).stdout, `BOTBOX_AGENT_CODE_CACHE=${cache}\n0\n`);
  });
});
