// The supervisor with the real manager and real agents (the fake runtime):
// an agent killed behind the server's back is started again; one meant to be
// stopped is not; a restart that fails is retried only after its backoff,
// measured on the supervisor's own clock (moved by the test, not waited for).
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

  const supervisorOf = (
    manager: () => BotManager,
    runtime: FakeRuntime,
    options: { initialBackoffMs?: number; now?: () => number } = {},
  ) =>
    new AgentSupervisor({
      runtime,
      records: storeRecords(fixture.store),
      restart: (botId, retrying) => manager().restartIfWanted(botId, retrying),
      containerIdFor,
      logger: pino({ level: "silent" }),
      ...options,
    });

  /** Kills the bot's agent with SIGKILL; resolves on the agent's exit event. */
  const kill = async (botId: string) => {
    const id = containerIdFor(botId);
    process.kill((await fixture.runtime.taskInfo(id)).pid!, "SIGKILL");
    await fixture.runtime.taskExited(id);
    assert.equal((await fixture.runtime.taskInfo(id)).state, "stopped");
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
    const supervisor = supervisorOf(() => manager, fixture.runtime);
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
    // The server's runtime first starts agents that exit at once: a real failed start.
    const broken = fixture.reopenRuntime({ agentBundle: await fixture.brokenAgentBundle(5) });
    let manager = fixture.manager(broken, 1_000);
    let clock = 1_000_000;
    const supervisor = supervisorOf(() => manager, broken, { initialBackoffMs: 60_000, now: () => clock });
    assert.deepEqual(await supervisor.checkOnce(), []);
    assert.equal((await manager.state("sv-retry")).status, "error");
    const attempts = async () =>
      (await fixture.store.listEvents(containerIdFor("sv-retry"))).filter(
        (event) => event.eventType === "agent_restart",
      );
    assert.equal((await attempts()).length, 1);
    assert.match(String((await attempts())[0]!.payload.error), /.+/);
    // The runtime is mended; a minute less a millisecond later, the backoff still holds.
    manager = fixture.manager();
    clock += 59_999;
    assert.deepEqual(await supervisor.checkOnce(), [], "within the backoff: no second attempt");
    assert.equal((await attempts()).length, 1);
    assert.equal((await manager.state("sv-retry")).status, "error");
    // At the end of the backoff the same supervisor tries again, as a retry of a bot it found in error.
    clock += 1;
    assert.deepEqual(await supervisor.checkOnce(), ["sv-retry"]);
    assert.equal((await manager.state("sv-retry")).status, "running");
    assert.equal((await (await manager.agentFor("sv-retry")).info()).botId, "sv-retry");
    const [latest] = await attempts();
    assert.deepEqual(latest?.payload, { attempt: 2, exitCode: 5 });
  });
});
