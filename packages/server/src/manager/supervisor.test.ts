import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { pino } from "pino";

import type { ContainerRuntime, TaskInfo } from "../runtime/runtime.js";
import { openStore, type Store } from "../store/index.js";
import { containerIdFor } from "./container-state.js";
import { storeRecords } from "./store-records.js";
import { AgentSupervisor } from "./supervisor.js";

describe("AgentSupervisor", () => {
  let store: Store;

  before(async () => {
    store = await openStore({ sqlitePath: ":memory:" });
    for (const [botId, status] of [
      ["fragile", "running"],
      ["resting", "stopped"],
    ] as const) {
      await store.createBot({ id: botId, displayName: botId });
      await store.upsertContainer({ botId, containerId: containerIdFor(botId), image: "i", status });
    }
  });
  after(() => store.close());

  it("restarts a dead agent with growing backoff, records each attempt, and leaves stopped bots alone", async () => {
    // The faults: every task reads as dead, and the first two restarts fail.
    let task: TaskInfo = { state: "stopped", exitCode: 137 };
    const runtime = { taskInfo: async () => task } as unknown as ContainerRuntime;
    const started: string[] = [];
    // The supervisor's clock: backoff is a matter of time passing, moved here by hand.
    let clock = 1_000_000;
    const supervisor = new AgentSupervisor({
      runtime,
      records: storeRecords(store),
      restart: async (botId) => {
        started.push(botId);
        if (started.length <= 2) throw new Error("agent would not start");
        task = { state: "running" };
        return true;
      },
      containerIdFor,
      logger: pino({ level: "silent" }),
      initialBackoffMs: 100,
      now: () => clock,
    });
    await supervisor.checkOnce(); // attempt 1 fails; next try at +100 ms
    clock += 99;
    await supervisor.checkOnce(); // within the backoff: no attempt
    assert.deepEqual(started, ["fragile"]);
    clock += 1;
    await supervisor.checkOnce(); // attempt 2 fails; next try 200 ms later (doubled)
    assert.equal(started.length, 2);
    clock += 199;
    await supervisor.checkOnce(); // 199 ms < 200 ms: still waiting
    assert.equal(started.length, 2);
    clock += 1;
    assert.deepEqual(await supervisor.checkOnce(), ["fragile"]); // attempt 3 works
    assert.deepEqual(started, ["fragile", "fragile", "fragile"]);
    assert.deepEqual(await supervisor.checkOnce(), [], "a running agent is left alone");

    const events = await store.listEvents(containerIdFor("fragile"));
    assert.deepEqual(
      events.filter((event) => event.eventType === "agent_restart").map((event) => event.payload.attempt),
      [3, 2, 1],
    );
    assert.equal((await store.listEvents(containerIdFor("resting"))).length, 0);
  });

  it("leaves alone a bot whose stop or delete got to its lock first: no restart counted, no event", async () => {
    const runtime = { taskInfo: async (): Promise<TaskInfo> => ({ state: "missing" }) } as unknown as ContainerRuntime;
    const asked: string[] = [];
    const supervisor = new AgentSupervisor({
      runtime,
      records: storeRecords(store),
      restart: async (botId) => {
        asked.push(botId);
        return false;
      },
      containerIdFor,
      logger: pino({ level: "silent" }),
    });
    const before = (await store.listEvents(containerIdFor("fragile"))).length;
    assert.deepEqual(await supervisor.checkOnce(), []);
    assert.deepEqual(asked, ["fragile"]);
    assert.equal((await store.listEvents(containerIdFor("fragile"))).length, before);
  });
});
