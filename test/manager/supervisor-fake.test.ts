// The supervisor with the real manager and real agents (the fake runtime):
// an agent killed behind the server's back is started again; one meant to be
// stopped is not; a restart that fails is retried only after its backoff.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { pino } from "pino";

import { AgentSupervisor, type BotManager, containerIdFor } from "../../packages/server/src/manager/index.js";
import { storeRecords } from "../../packages/server/src/manager/store-records.js";
import type { FakeRuntime } from "../support/fake-runtime.js";
import { type FakeManagerFixture, openFakeManagerFixture } from "./fake-support.js";

describe("the supervisor on the fake runtime", () => {
  let fixture: FakeManagerFixture;

  before(async () => {
    fixture = await openFakeManagerFixture();
  });
  after(() => fixture.close());

  const supervisorOf = (manager: BotManager, runtime: FakeRuntime, initialBackoffMs = 1_000) =>
    new AgentSupervisor({
      runtime,
      records: storeRecords(fixture.store),
      restart: (botId, retrying) => manager.restartIfWanted(botId, retrying),
      containerIdFor,
      logger: pino({ level: "silent" }),
      initialBackoffMs,
    });

  /** Kills the bot's agent with SIGKILL and waits for the runtime to see it gone. */
  const kill = async (botId: string) => {
    const id = containerIdFor(botId);
    process.kill((await fixture.runtime.taskInfo(id)).pid!, "SIGKILL");
    const deadline = Date.now() + 5_000;
    while ((await fixture.runtime.taskInfo(id)).state === "running") {
      assert.ok(Date.now() < deadline, "the killed agent is still running");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  it("starts a killed agent again and records the restart with its exit code; a stopped bot stays stopped", async () => {
    const manager = fixture.manager();
    for (const id of ["sv-killed", "sv-stopped"]) {
      await fixture.store.createBot({ id, displayName: id });
      await manager.start(id);
    }
    await manager.stop("sv-stopped");
    const killedPid = (await manager.state("sv-killed")).pid;
    await kill("sv-killed");
    const supervisor = supervisorOf(manager, fixture.runtime);
    assert.deepEqual(await supervisor.checkOnce(), ["sv-killed"]);
    const state = await manager.state("sv-killed");
    assert.equal(state.taskRunning, true);
    assert.notEqual(state.pid, killedPid);
    assert.equal((await (await manager.agentFor("sv-killed")).info()).botId, "sv-killed");
    const [restart] = (await fixture.store.listEvents(containerIdFor("sv-killed"))).filter(
      (event) => event.eventType === "agent_restart",
    );
    assert.deepEqual(restart?.payload, { attempt: 1, exitCode: 128 + 9 });
    assert.deepEqual(await supervisor.checkOnce(), [], "a running agent and a stopped bot are left alone");
    assert.equal((await manager.state("sv-stopped")).taskRunning, false);
  });

  it("a restart that fails leaves the bot in error, is retried only after its backoff, and then succeeds", async () => {
    await fixture.store.createBot({ id: "sv-retry", displayName: "sv-retry" });
    await fixture.manager().start("sv-retry");
    await kill("sv-retry");
    // The server's runtime now starts agents that exit at once: a real failed start.
    const broken = fixture.reopenRuntime({ agentBundle: await fixture.brokenAgentBundle(5) });
    const brokenManager = fixture.manager(broken, 1_000);
    const failing = supervisorOf(brokenManager, broken, 60_000);
    await failing.checkOnce().catch(() => undefined);
    assert.equal((await brokenManager.state("sv-retry")).status, "error");
    assert.deepEqual(await failing.checkOnce(), [], "within the backoff: no second attempt");
    const attempts = (await fixture.store.listEvents(containerIdFor("sv-retry"))).filter(
      (event) => event.eventType === "agent_restart",
    );
    assert.equal(attempts.length, 1);
    assert.match(String(attempts[0]!.payload.error), /.+/);
    // A supervisor over a working runtime, retrying the bot it found in error, brings it back.
    const manager = fixture.manager();
    const restart = await manager.restartIfWanted("sv-retry", true);
    assert.equal(restart, true);
    assert.equal((await manager.state("sv-retry")).status, "running");
  });
});
