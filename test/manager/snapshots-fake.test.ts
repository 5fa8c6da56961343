// The snapshot service (versions and rollback over the runtime's commit and
// restore) on the fake runtime: the manager's code with real agents, no root.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { BadRequestError, NotFoundError } from "../../packages/server/src/errors.js";
import { type BotManager, containerIdFor, SnapshotService } from "../../packages/server/src/manager/index.js";
import { type FakeManagerFixture, openFakeManagerFixture } from "./fake-support.js";
import { silentLogger } from "./support.js";

describe("the snapshot service on the fake runtime", () => {
  let fixture: FakeManagerFixture;
  let manager: BotManager;
  let snapshots: SnapshotService;
  const read = async (botId: string, file: string) => (await (await manager.agentFor(botId)).readFile(file)).content;

  before(async () => {
    fixture = await openFakeManagerFixture();
    manager = fixture.manager();
    snapshots = new SnapshotService(manager, fixture.runtime, fixture.store, silentLogger);
  });
  after(() => fixture.close());

  it("a snapshot of a running bot numbers a version and brings the bot back running, on a new task", async () => {
    await fixture.store.createBot({ id: "snap", displayName: "snap" });
    const before = await manager.start("snap");
    await (await manager.agentFor("snap")).writeFile("state.txt", "one\n");
    const first = await snapshots.create("snap", { name: "first", displayName: "the first" });
    assert.deepEqual([first.snapshotName, first.version, first.snapshotter], ["first", 1, "fake"]);
    const after = await manager.state("snap");
    assert.equal(after.taskRunning, true);
    assert.notEqual(after.pid, before.pid, "stopped for the snapshot and started again");
    assert.equal(await read("snap", "state.txt"), "     1\tone\n");
    const second = await snapshots.create("snap", { source: "pre_exec" });
    assert.equal(second.version, 2);
    assert.match(second.snapshotName, /^mcp-snap-v\d+$/);
    assert.deepEqual(
      (await snapshots.list("snap")).map((view) => [
        view.name,
        view.parent,
        view.source,
        view.version,
        view.displayName,
      ]),
      [
        ["first", null, "manual", 1, "the first"],
        [second.snapshotName, "first", "pre_exec", 2, null],
      ],
    );
    assert.deepEqual(
      (await fixture.eventTypes(containerIdFor("snap"))).filter((type) => type.endsWith("_create")),
      ["container_create", "snapshot_create", "version_create"],
    );
  });

  it("rollback puts the files of a version back, drops what came after, and leaves the bot running", async () => {
    const agent = await manager.agentFor("snap");
    await agent.writeFile("state.txt", "two\n");
    await agent.writeFile("later.txt", "later\n");
    assert.deepEqual(await snapshots.rollback("snap", 1), { snapshotName: "first", version: 1 });
    assert.equal((await manager.state("snap")).taskRunning, true);
    assert.equal(await read("snap", "state.txt"), "     1\tone\n");
    await assert.rejects((await manager.agentFor("snap")).stat("later.txt"), NotFoundError);
    assert.ok((await fixture.eventTypes(containerIdFor("snap"))).includes("version_rollback"));
  });

  it("a stopped bot is snapshotted and stays stopped", async () => {
    await manager.stop("snap");
    const made = await snapshots.create("snap", { name: "while-stopped" });
    assert.equal(made.version, 3);
    assert.equal((await manager.state("snap")).taskRunning, false);
  });

  it("bad names, unknown versions and bots without a container are refused with the reason", async () => {
    // create() refuses a bad name before it returns a promise: called inside one here.
    await assert.rejects(async () => snapshots.create("snap", { name: "../escape" }), BadRequestError);
    await assert.rejects(snapshots.create("snap", { name: "first" }), /already exists/);
    await assert.rejects(snapshots.rollback("snap", 99), NotFoundError);
    await fixture.store.createBot({ id: "never-started", displayName: "never-started" });
    await assert.rejects(snapshots.create("never-started"), NotFoundError);
  });
});
