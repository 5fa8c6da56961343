// The manager's promises that no single request can show: every operation on
// one bot runs alone and in the order it was asked for, and reconcile() at
// start-up starts again only the bots that are meant to run.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { containerIdFor, SnapshotService } from "../../packages/server/src/manager/index.js";
import { TEST_RUNTIME } from "../support/botbox-server.js";
import { type ManagerFixture, openManagerFixture, silentLogger, startReconcileBots } from "./support.js";

describe(`the manager serialises each bot's operations (${TEST_RUNTIME} backend)`, () => {
  let fixture: ManagerFixture;
  const eventTypes = async (botId: string) =>
    (await fixture.store.listEvents(containerIdFor(botId))).map((event) => event.eventType).reverse();

  before(async () => {
    fixture = await openManagerFixture("serial");
  });
  after(() => fixture.close());

  it("operations called together run one at a time, in the order they were called", async () => {
    const manager = fixture.manager();
    await fixture.store.createBot({ id: "serial-order", displayName: "serial-order" });
    // None awaited before the next is called: without the bot's lock they
    // would interleave (a stop between a start's task and its wait for Info).
    const results = await Promise.all([
      manager.start("serial-order"),
      manager.stop("serial-order"),
      manager.start("serial-order"),
      manager.stop("serial-order"),
      manager.start("serial-order"),
    ]);
    assert.deepEqual(
      results.map((state) => state.taskRunning),
      [true, false, true, false, true],
    );
    assert.deepEqual(
      (await eventTypes("serial-order")).filter((type) => type === "container_start" || type === "container_stop"),
      ["container_start", "container_stop", "container_start", "container_stop", "container_start"],
    );
    const agent = await manager.agentFor("serial-order");
    assert.equal((await agent.info()).botId, "serial-order");
  });

  it("starts called together start one task", async () => {
    const manager = fixture.manager();
    await fixture.store.createBot({ id: "serial-starts", displayName: "serial-starts" });
    const states = await Promise.all(Array.from({ length: 5 }, () => manager.start("serial-starts")));
    const pids = new Set(states.map((state) => state.pid));
    assert.equal(pids.size, 1, `one task, got pids ${[...pids].join(", ")}`);
    assert.equal(states[0]!.taskRunning, true);
    assert.equal((await eventTypes("serial-starts")).filter((type) => type === "container_start").length, 1);
  });

  it("a delete called during a snapshot waits for it and then wins", async () => {
    const manager = fixture.manager();
    const snapshots = new SnapshotService(manager, fixture.runtime, fixture.store, silentLogger);
    await fixture.store.createBot({ id: "serial-delete", displayName: "serial-delete" });
    await manager.start("serial-delete");
    await (await manager.agentFor("serial-delete")).writeFile("kept.txt", "before the snapshot\n");
    const snapshot = snapshots.create("serial-delete");
    const deleted = manager.deleteContainer("serial-delete");
    // Had the delete not waited, the snapshot would have lost its container midway.
    const [created] = await Promise.all([snapshot, deleted]);
    assert.equal(created.version, 1);
    const state = await manager.state("serial-delete");
    assert.deepEqual([state.status, state.taskRunning], ["missing", false]);
    assert.equal(await fixture.runtime.getContainer(containerIdFor("serial-delete")), undefined);
  });
});

describe(`reconcile() restarts only the bots meant to run (${TEST_RUNTIME} backend)`, () => {
  let fixture: ManagerFixture;

  before(async () => {
    fixture = await openManagerFixture("reconcile");
  });
  after(() => fixture.close());

  it("re-attaches a running bot, restarts an auto-start bot whose task died, and leaves stopped and manual bots stopped", async () => {
    const first = fixture.manager();
    const { bots, runningPid } = await startReconcileBots(fixture.store, first, "rec");
    // The server "goes away"; two tasks die behind its back, records still saying running.
    first.pool.closeAll();
    for (const id of [bots.died, bots.manual])
      await fixture.runtime.stopTask(containerIdFor(id), { timeoutMs: 5_000, force: true });

    const second = fixture.manager();
    const summary = await second.reconcile();
    assert.deepEqual(summary.reattached, [bots.running]);
    assert.deepEqual(summary.restarted, [bots.died]);
    assert.deepEqual(summary.failed, []);
    assert.equal((await second.state(bots.running)).pid, runningPid, "re-attached, not restarted");
    assert.equal((await second.state(bots.died)).taskRunning, true);
    assert.equal((await (await second.agentFor(bots.died)).info()).botId, bots.died);
    for (const id of [bots.stopped, bots.manual]) assert.equal((await second.state(id)).taskRunning, false, id);
    second.pool.closeAll();
  });
});
