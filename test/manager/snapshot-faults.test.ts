import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { pino } from "pino";

import { BotManager, containerIdFor, SnapshotService } from "../../packages/server/src/manager/index.js";
import { storeRecords } from "../../packages/server/src/manager/store-records.js";
import type { ContainerRuntime } from "../../packages/server/src/runtime/runtime.js";
import { openStore, type Store } from "../../packages/server/src/store/index.js";
import { TEST_RUNTIME } from "../support/botbox-server.js";
import { openRuntime } from "../support/runtimes.js";

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
  let home: string;
  let store: Store;
  let runtime: ContainerRuntime;
  let image: string;
  const logger = pino({ level: "silent" });

  before(async () => {
    home = await mkdtemp(path.join(tmpdir(), "botbox-faults-"));
    store = await openStore({ sqlitePath: path.join(home, "botbox.db") });
    ({ runtime, image } = await openRuntime(TEST_RUNTIME, home));
  });
  after(async () => {
    const cleanup = new BotManager({
      runtime,
      records: storeRecords(store),
      image,
      network: "host",
      limits: {},
      startTimeoutMs: 20_000,
      logger,
    });
    for (const bot of await store.listBots()) await cleanup.deleteContainer(bot.id).catch(() => undefined);
    await cleanup.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });

  function services(faultyRuntime: ContainerRuntime, faultyStore: Store) {
    const manager = new BotManager({
      runtime: faultyRuntime,
      records: storeRecords(faultyStore),
      image,
      network: "host",
      limits: {},
      startTimeoutMs: 20_000,
      logger,
    });
    return { manager, snapshots: new SnapshotService(manager, faultyRuntime, faultyStore, logger) };
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
    await store.createBot({ id: botId, displayName: botId });
    const clean = services(runtime, store);
    await clean.manager.start(botId);
    await (await clean.manager.agentFor(botId)).exec("echo one > /data/f");
    await clean.snapshots.create(botId, { source: "pre_exec" });
    await (await clean.manager.agentFor(botId)).exec("echo two > /data/f");

    const armed = { left: 2 };
    const faulty = services(failing<ContainerRuntime>(runtime, "startTask", armed), store);
    await assert.rejects(faulty.snapshots.rollback(botId, 1), /injected fault in startTask/);
    assert.equal(armed.left, 0, "both starts were tried");
    // Never no container: it is there, stopped, holding the version's data.
    assert.notEqual(await runtime.getContainer(containerIdFor(botId)), undefined);
    // ("missing" on backends that recreate the container to restore: never started since)
    assert.notEqual((await runtime.taskInfo(containerIdFor(botId))).state, "running");
    assert.equal((await clean.manager.state(botId)).status, "error");
    await clean.manager.start(botId);
    assert.equal((await (await clean.manager.agentFor(botId)).exec("cat /data/f")).stdout, "one\n");
    faulty.manager.pool.closeAll();
    clean.manager.pool.closeAll();
  });

  for (const [index, step] of steps.entries()) {
    it(`a fault while ${step.name} leaves the bot running with its data intact`, async () => {
      const botId = `fault-${index}`;
      await store.createBot({ id: botId, displayName: botId });
      const clean = services(runtime, store);
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
          ? services(failing<ContainerRuntime>(runtime, step.method as keyof ContainerRuntime, armed), store)
          : services(runtime, failing<Store>(store, step.method as keyof Store, armed));
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

      assert.equal((await runtime.taskInfo(containerIdFor(botId))).state, "running");
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
