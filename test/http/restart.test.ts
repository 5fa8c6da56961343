import assert from "node:assert/strict";
import { readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import type { AgentClient } from "../../packages/server/src/client/index.js";
import { type BotboxServer, newHome, processRunning, startBotboxServer } from "../support/botbox-server.js";
import { botAgent } from "../support/bots.js";

const BOTS = Array.from({ length: 10 }, (_, i) => `restart-${i}`);

/** The agent's socket file as the host sees it: a new socket file is a new inode, made at a new time. */
async function agentSocket(home: string, botId: string): Promise<{ ino: number; ctimeMs: number }> {
  const { ino, ctimeMs } = await stat(path.join(home, "bots", botId, "run", "agent.sock"));
  return { ino, ctimeMs };
}

describe("botbox serve: restarts and dead agents", () => {
  let server: BotboxServer | undefined;
  let home: string;
  const agents: AgentClient[] = [];

  after(async () => {
    for (const agent of agents) agent.close();
    if (server) {
      for (const id of [...BOTS, "phoenix"]) await server.api("DELETE", `/bots/${id}`);
      await server.stop();
    }
    await rm(home, { recursive: true, force: true });
  });

  it("a server restart re-attaches to 10 running bots: none restarted, all reachable", async () => {
    home = await newHome();
    server = await startBotboxServer({ home });
    const pids = new Map<string, number>();
    const sockets = new Map<string, { ino: number; ctimeMs: number }>();
    // Clients of the agents at the endpoints the server dials now.
    const clients = new Map<string, AgentClient>();
    for (const id of BOTS) {
      assert.equal((await server.api("POST", "/bots", { id, name: id })).status, 201);
      const started = await server.api("POST", `/bots/${id}/container`);
      assert.equal(started.status, 201, JSON.stringify(started.body));
      pids.set(id, started.body.pid);
      await server.api("POST", `/bots/${id}/container/exec`, { command: `echo ${id} > /data/who` });
      sockets.set(id, await agentSocket(home, id));
      const client = await botAgent(server, id);
      agents.push(client);
      clients.set(id, client);
    }
    await server.stop();
    for (const [id, pid] of pids) assert.ok(await processRunning(pid), `${id}'s task died with the server`);

    server = await startBotboxServer({ home });
    for (const [id, pid] of pids) {
      const state = await server.api("GET", `/bots/${id}/container`);
      assert.equal(state.body.task_running, true, id);
      assert.equal(state.body.pid, pid, `${id} was restarted instead of re-attached`);
      // The API shows no agent endpoint; the one from before the restart,
      // address and token, must still reach this bot's agent in the same socket.
      assert.deepEqual(await agentSocket(home, id), sockets.get(id), `${id}'s agent socket was made anew`);
      assert.equal((await clients.get(id)!.info()).botId, id);
      const exec = await server.api("POST", `/bots/${id}/container/exec`, { command: "cat /data/who" });
      assert.equal(exec.body.stdout, `${id}\n`);
    }
    const reconciled = server.logs.find((entry) => entry.msg === "reconciled bots") as { reattached: string[] };
    assert.deepEqual([...reconciled.reattached].sort(), [...BOTS].sort());
  });

  it("a bot whose task died while the server was down is started again at the next start", async () => {
    assert.ok(server, "needs the server of the previous test");
    const victim = BOTS[0]!;
    const before = await server.api("GET", `/bots/${victim}/container`);
    await server.stop();
    process.kill(before.body.pid, "SIGKILL");
    await processEnded(before.body.pid);
    server = await startBotboxServer({ home });
    const after = await server.api("GET", `/bots/${victim}/container`);
    assert.equal(after.body.task_running, true);
    assert.notEqual(after.body.pid, before.body.pid);
    const exec = await server.api("POST", `/bots/${victim}/container/exec`, { command: "cat /data/who" });
    assert.equal(exec.body.stdout, `${victim}\n`);
    const reconciled = server.logs.find((entry) => entry.msg === "reconciled bots") as { restarted: string[] };
    assert.deepEqual(reconciled.restarted, [victim]);
  });

  it("an agent killed with SIGKILL with its init is restarted and the client recovers", async () => {
    assert.ok(server, "needs the server of the previous test");
    await server.api("POST", "/bots", { id: "phoenix", name: "phoenix" });
    const first = await server.api("POST", "/bots/phoenix/container");
    assert.equal(first.status, 201);
    await server.api("POST", "/bots/phoenix/container/exec", { command: "echo survived > /data/mark" });
    // Under the task's init (the sandbox's, or tini in a Docker container)
    // runs botbox's own init, and under it the agent. An agent killed alone
    // is restarted by botbox's init, inside the workspace
    // (test/processes/processes-agent-restart.test.ts); here both die, and
    // the server's supervisor must bring the bot back.
    const childrenOf = async (pid: string) =>
      (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).trim().split(/\s+/).filter(Boolean);
    const [botboxInit] = await childrenOf(String(first.body.pid));
    const agents = await childrenOf(botboxInit!);
    process.kill(Number(botboxInit), "SIGKILL");
    for (const agent of agents) process.kill(Number(agent), "SIGKILL");
    // The supervisor says when it has started the bot again (it looks every 2 s).
    await server.waitForLog(
      (entry) => entry.msg === "restarted a bot whose agent died" && entry.botId === "phoenix",
      30_000,
    );
    const recovered = await server.api("POST", "/bots/phoenix/container/exec", { command: "cat /data/mark" });
    assert.equal(recovered.status, 200, JSON.stringify(recovered.body));
    assert.equal(recovered.body.stdout, "survived\n");
    const state = await server.api("GET", "/bots/phoenix/container");
    assert.equal(state.body.status, "running");
    assert.notEqual(state.body.pid, first.body.pid);
    const events = (await server.api("GET", "/bots/phoenix/container/events?limit=20")).body.events;
    const restart = events.find((event: { type: string }) => event.type === "agent_restart");
    assert.ok(
      restart,
      `no agent_restart event in ${JSON.stringify(events.map((event: { type: string }) => event.type))}`,
    );
    assert.equal(restart.payload.attempt, 1);
  });
});

/**
 * Resolves once the process has ended. It is not our child (the server that
 * started it is gone), so no exit event reaches us: /proc is looked at, for
 * at most `timeoutMs`.
 */
async function processEnded(pid: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await processRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs after ${timeoutMs} ms`);
    await sleep(20);
  }
}
