import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { containerIdFor, SnapshotService } from "../../packages/server/src/manager/index.js";
import type { ContainerRuntime } from "../../packages/server/src/runtime/runtime.js";
import type { Store } from "../../packages/server/src/store/index.js";
import { TEST_RUNTIME } from "../support/botbox-server.js";
import { type ManagerFixture, openManagerFixture, silentLogger } from "./support.js";

const TREE = "cd /data && find . -printf '%p %y %m\\n' | sort && find . -type f -exec sha256sum {} + | sort";

/**
 * Faults that cannot be produced on demand with real parts: each wraps the
 * real runtime or store and fails the next `armed.left` calls of one method.
 */
function failing<T extends object>(target: T, method: keyof T, armed: { left: number }): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (property !== method || typeof value !== "function")
        return typeof value === "function" ? value.bind(object) : value;
      return (...args: unknown[]) => {
        if (armed.left > 0) {
          armed.left -= 1;
          return Promise.reject(new Error(`injected fault in ${String(method)}`));
        }
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}

describe(`snapshot and rollback survive a fault at every step (${TEST_RUNTIME} backend)`, () => {
  let fixture: ManagerFixture;

  before(async () => {
    fixture = await openManagerFixture("faults");
  });
  after(() => fixture.close());

  function services(faultyRuntime: ContainerRuntime, faultyStore: Store) {
    const manager = fixture.manager({ runtime: faultyRuntime, store: faultyStore });
    return { manager, snapshots: new SnapshotService(manager, faultyRuntime, faultyStore, silentLogger) };
  }

  const steps: { name: string; where: "runtime" | "store"; method: string; during: "snapshot" | "rollback" }[] = [
    { name: "stopping the task", where: "runtime", method: "stopTask", during: "snapshot" },
    { name: "committing the snapshot", where: "runtime", method: "commitSnapshot", during: "snapshot" },
    { name: "recording the version", where: "store", method: "recordSnapshotVersion", during: "snapshot" },
    { name: "starting the task again after a snapshot", where: "runtime", method: "startTask", during: "snapshot" },
    { name: "recording the snapshot's lifecycle event", where: "store", method: "recordEvent", during: "snapshot" },
    { name: "stopping the task for a rollback", where: "runtime", method: "stopTask", during: "rollback" },
    { name: "restoring the snapshot", where: "runtime", method: "restoreSnapshot", during: "rollback" },
    { name: "starting the task again after a restore", where: "runtime", method: "startTask", during: "rollback" },
    { name: "recording a lifecycle event", where: "store", method: "recordEvent", during: "rollback" },
  ];

  it("a rollback whose start fails on both tries keeps the container with the version's data, and says so", async () => {
    const botId = "fault-start-twice";
    await fixture.store.createBot({ id: botId, displayName: botId });
    const clean = services(fixture.runtime, fixture.store);
    await clean.manager.start(botId);
    await (await clean.manager.agentFor(botId)).exec("echo one > /data/f");
    await clean.snapshots.create(botId, { source: "pre_exec" });
    await (await clean.manager.agentFor(botId)).exec("echo two > /data/f");

    const armed = { left: 2 };
    const faulty = services(failing<ContainerRuntime>(fixture.runtime, "startTask", armed), fixture.store);
    await assert.rejects(faulty.snapshots.rollback(botId, 1), /injected fault in startTask/);
    assert.equal(armed.left, 0, "both starts were tried");
    // Never no container: it is there, stopped, holding the version's data.
    assert.notEqual(await fixture.runtime.getContainer(containerIdFor(botId)), undefined);
    // ("missing" on backends that recreate the container to restore: never started since)
    assert.notEqual((await fixture.runtime.taskInfo(containerIdFor(botId))).state, "running");
    assert.equal((await clean.manager.state(botId)).status, "error");
    await clean.manager.start(botId);
    assert.equal((await (await clean.manager.agentFor(botId)).exec("cat /data/f")).stdout, "one\n");
    faulty.manager.pool.closeAll();
    clean.manager.pool.closeAll();
  });

  for (const [index, step] of steps.entries()) {
    it(`a fault while ${step.name} leaves the bot running with its data intact`, async () => {
      const botId = `fault-${index}`;
      await fixture.store.createBot({ id: botId, displayName: botId });
      const clean = services(fixture.runtime, fixture.store);
      await clean.manager.start(botId);
      const agent = await clean.manager.agentFor(botId);
      await agent.exec("mkdir -p /data/d && echo one > /data/d/f && echo keep > /data/k");
      if (step.during === "rollback") {
        await clean.snapshots.create(botId, { source: "pre_exec" });
        await (await clean.manager.agentFor(botId)).exec("echo two > /data/d/f && rm /data/k");
      }
      const before = (await (await clean.manager.agentFor(botId)).exec(TREE)).stdout;

      const armed = { left: 1 };
      const faulty =
        step.where === "runtime"
          ? services(
              failing<ContainerRuntime>(fixture.runtime, step.method as keyof ContainerRuntime, armed),
              fixture.store,
            )
          : services(fixture.runtime, failing<Store>(fixture.store, step.method as keyof Store, armed));
      const operation =
        step.during === "snapshot" ? faulty.snapshots.create(botId) : faulty.snapshots.rollback(botId, 1);
      const expectSuccess = step.method === "startTask" || step.method === "recordEvent";
      if (expectSuccess) {
        // A start is retried once; an event that cannot be written is logged, not fatal.
        await operation;
      } else {
        await assert.rejects(operation, /injected fault/);
      }
      assert.equal(armed.left, 0, "the fault was reached");

      assert.equal((await fixture.runtime.taskInfo(containerIdFor(botId))).state, "running");
      const after = (await (await faulty.manager.agentFor(botId)).exec(TREE)).stdout;
      if (expectSuccess && step.during === "rollback") {
        // The rollback went through: the data is the version's, with /data/k back.
        assert.match(after, /\.\/k f/);
        assert.notEqual(after, before);
      } else {
        // A snapshot never changes the data; a failed rollback leaves it as it was.
        assert.equal(after, before);
      }
      faulty.manager.pool.closeAll();
      clean.manager.pool.closeAll();
    });
  }
});
