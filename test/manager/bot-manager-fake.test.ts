// The bot manager's lifecycle on the FakeRuntime: real agents, no root.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { BadRequestError, NotFoundError } from "../../packages/server/src/errors.js";
import { containerIdFor } from "../../packages/server/src/manager/index.js";
import { storeRecords } from "../../packages/server/src/manager/store-records.js";
import { type FakeManagerFixture, openFakeManagerFixture } from "./fake-support.js";

describe("the bot manager on the fake runtime", () => {
  let fixture: FakeManagerFixture;

  before(async () => {
    fixture = await openFakeManagerFixture();
  });
  after(() => fixture.close());

  it("start makes the container, records it and returns once the bot's own agent answers; stop records it", async () => {
    const manager = fixture.manager();
    await fixture.store.createBot({ id: "life", displayName: "life" });
    const started = await manager.start("life");
    assert.deepEqual([started.status, started.taskRunning], ["running", true]);
    assert.equal((await (await manager.agentFor("life")).info()).botId, "life");
    assert.equal(started.record?.runtime, "fake");
    const stopped = await manager.stop("life");
    assert.deepEqual([stopped.status, stopped.taskRunning], ["stopped", false]);
    assert.deepEqual(await fixture.eventTypes(containerIdFor("life")), [
      "container_create",
      "container_start",
      "container_stop",
    ]);
    await assert.rejects(manager.start("no-such-bot"), NotFoundError);
  });

  it("a network the runtime cannot enforce is refused before any container is made; host starts", async () => {
    const manager = fixture.manager();
    for (const network of ["isolated", "none"] as const) {
      const id = `net-${network}`;
      await fixture.store.createBot({ id, displayName: id, config: { network } });
      await assert.rejects(
        manager.start(id),
        (error: unknown) => error instanceof BadRequestError && error.message.includes(`"${network}"`),
      );
      assert.equal(await fixture.runtime.getContainer(containerIdFor(id)), undefined, network);
      // The same bot on the one network the fake has: the refusal was the network's.
      await fixture.store.updateBot(id, { config: { network: "host" } });
      assert.equal((await manager.start(id)).taskRunning, true);
    }
  });

  it("a start whose agent exits is reported, leaves status error and a start_failed event, and no task", async () => {
    const broken = fixture.reopenRuntime({ agentBundle: await fixture.brokenAgentBundle(3) });
    const manager = fixture.manager(broken, 10_000);
    await fixture.store.createBot({ id: "broken", displayName: "broken" });
    const started = Date.now();
    // Told at once, with the task's exit code, not after the whole start timeout.
    await assert.rejects(manager.start("broken"), /never answered: its task is stopped \(exit code 3\)/);
    assert.ok(Date.now() - started < 5_000, `the failed start took ${Date.now() - started} ms`);
    const state = await manager.state("broken");
    assert.deepEqual([state.status, state.taskRunning], ["error", false]);
    assert.ok((await fixture.eventTypes(containerIdFor("broken"))).includes("start_failed"));
    // The same bot with a working agent starts: the failure was the agent's.
    assert.equal((await fixture.manager().start("broken")).taskRunning, true);
  });

  it("a delete with keepData keeps the bot's files for its next container; a delete for good does not", async () => {
    const manager = fixture.manager();
    await fixture.store.createBot({ id: "kept", displayName: "kept" });
    await manager.start("kept");
    await (await manager.agentFor("kept")).writeFile("notes.txt", "kept\n");
    await manager.deleteContainer("kept", { keepData: true });
    assert.equal((await manager.state("kept")).status, "missing");
    await manager.start("kept");
    assert.equal((await (await manager.agentFor("kept")).readFile("notes.txt")).content, "     1\tkept\n");
    await manager.deleteContainer("kept", { discardKeptData: true });
    await manager.start("kept");
    await assert.rejects((await manager.agentFor("kept")).stat("notes.txt"), NotFoundError);
  });

  it("settings change only while stopped, and a change the runtime refuses leaves the record as it was", async () => {
    const manager = fixture.manager();
    await fixture.store.createBot({ id: "settings", displayName: "settings" });
    await manager.start("settings");
    const bot = (await storeRecords(fixture.store).getBot("settings"))!;
    let saved = 0;
    const save = async () => {
      saved += 1;
      return bot;
    };
    await assert.rejects(manager.changeSettings(bot, save), /is running/);
    await manager.stop("settings");
    await assert.rejects(
      manager.changeSettings({ ...bot, limits: { memoryBytes: 64 << 20 } }, save),
      (error: unknown) => error instanceof BadRequestError && /memoryBytes/.test(error.message),
    );
    assert.equal(saved, 0, "nothing saved for a refused change");
    assert.deepEqual(await manager.changeSettings({ ...bot, network: "host" }, save), {
      bot,
      takesEffect: "next_start",
    });
    assert.equal(saved, 1);
  });
});
