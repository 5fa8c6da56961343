// The agent inside a workspace can die (SIGKILL, the memory limit, a crash)
// without taking the workspace with it: the workspace's init starts it again,
// the supervised processes run on under their keepers, and the new agent
// lists and attaches them. Runs on every backend (BOTBOX_TEST_RUNTIME),
// the sandbox run as root included: there the host owns the agent's socket,
// and the new agent serves the one the init holds (agent-init-socket.test.ts).
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { type BotboxServer, startBotboxServer } from "../support/botbox-server.js";
import { addBots } from "../support/bots.js";
import { assertCountedThrough, outputBytes, outputEvents, processesRoute, startProcess } from "./support.js";

const BOT = "proc-agent-kill";

/**
 * A shell line that prints the pid of the agent and, with `signal`, sends it
 * that signal. A process's parent is its keeper, and a keeper's parent is the
 * agent that started it: found from inside the workspace, so it works where
 * the host cannot see the workspace's processes (gVisor) too.
 */
function agentPidLine(signal?: string): string {
  const find = `agent=$(awk '/^PPid:/ {print $2}' /proc/$PPID/status); echo "$agent"`;
  // After a second: the Start that made this process gets its answer first.
  return signal ? `${find}; sleep 1; kill -${signal} "$agent"` : find;
}

async function outputOf(server: BotboxServer, id: string): Promise<string> {
  return outputBytes(await outputEvents(server, BOT, id, "since=0&follow=true")).toString();
}

/** Polls until `check` holds or the deadline passes; the last answer either way. */
async function pollUntil<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await sleep(200);
    value = await read();
  }
  return value;
}

/** The answer, or a failure naming the request when none came within `ms`. */
async function within<T>(ms: number, what: string, pending: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([pending, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("processes and an agent that dies", { timeout: 300_000 }, () => {
  let server: BotboxServer | undefined;

  before(async () => {
    server = await startBotboxServer();
    await addBots(server, [BOT]);
  });

  after(async () => {
    if (!server || process.env.KEEP_HOME) return;
    await server.api("DELETE", `/bots/${BOT}`);
    await server.stop();
    await rm(server.home, { recursive: true, force: true });
  });

  it("a process outlives an agent SIGKILL inside the workspace, with no output lost, and the restarted agent lists and attaches it", async () => {
    assert.ok(server);
    const lines = 1000;
    const counter = await startProcess(server, BOT, {
      command: `for i in $(seq 1 ${lines}); do echo line $i; sleep 0.01; done`,
      tag: "through-agent-kill",
    });
    const followed = outputEvents(server, BOT, counter.id, "since=0&follow=true");
    const writing = await pollUntil(
      () => server!.api("GET", processesRoute(BOT, `/${counter.id}`)),
      (answer) => answer.body.output_bytes > 0,
      30_000,
    );
    assert.ok(writing.body.output_bytes > 0, "the counter wrote before the kill");

    const killer = await startProcess(server, BOT, { command: agentPidLine("KILL") });
    // The follower was cut off with the agent; it says where to resume.
    const cut = await followed;
    const ending = cut.at(-1)!;
    assert.equal(ending.type, "error", JSON.stringify(ending));
    assert.equal(ending.since, outputBytes(cut).byteLength);

    // The same workspace answers again, from a new agent.
    const back = await pollUntil(
      () => server!.api("GET", processesRoute(BOT)),
      (answer) => answer.status === 200,
      60_000,
    );
    assert.equal(back.status, 200, `the workspace did not answer again: ${JSON.stringify(back.body)}`);
    const listed = back.body.processes as { id: string; status: string }[];
    const counterNow = listed.find((entry) => entry.id === counter.id);
    assert.equal(counterNow?.status, "running", "the counter runs on, so the test spans the agent's death");

    const oldAgent = Number((await outputOf(server, killer.id)).trim());
    const asker = await startProcess(server, BOT, { command: agentPidLine() });
    const newAgent = Number((await outputOf(server, asker.id)).trim());
    assert.ok(oldAgent > 0 && newAgent > 0, `agent pids ${oldAgent} and ${newAgent}`);
    assert.notEqual(newAgent, oldAgent, "a new agent answers: the old one was killed");

    await assertCountedThrough(server, BOT, counter.id, lines, cut);
  });

  it("a keeper that does not answer (SIGSTOP) is listed as unresponsive at once, and as running once it goes on", async () => {
    assert.ok(server);
    // The process stops its own keeper, after the Start it came from was answered.
    const stopped = await startProcess(server, BOT, {
      command: "sleep 1; echo $PPID > /tmp/stopped-keeper.pid; kill -STOP $PPID; exec sleep 300",
    });
    const seen = await pollUntil(
      () =>
        within(
          15_000,
          "GET of a process whose keeper is stopped",
          server!.api("GET", processesRoute(BOT, `/${stopped.id}`)),
        ),
      (answer) => answer.body.status === "unresponsive",
      30_000,
    );
    assert.equal(seen.body.status, "unresponsive", JSON.stringify(seen.body));
    const listed = await within(15_000, "the list", server.api("GET", processesRoute(BOT)));
    assert.equal(listed.status, 200);
    const entry = (listed.body.processes as { id: string; status: string }[]).find((one) => one.id === stopped.id);
    assert.equal(entry?.status, "unresponsive");

    await startProcess(server, BOT, { command: "kill -CONT $(cat /tmp/stopped-keeper.pid)" });
    const again = await pollUntil(
      () => server!.api("GET", processesRoute(BOT, `/${stopped.id}`)),
      (answer) => answer.body.status === "running",
      30_000,
    );
    assert.equal(again.body.status, "running", "the keeper answers again once continued");
    const killed = await server.api("POST", processesRoute(BOT, `/${stopped.id}/signal`), { signal: "KILL" });
    assert.equal(killed.status, 200, JSON.stringify(killed.body));
  });
});
