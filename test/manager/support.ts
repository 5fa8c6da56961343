import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { pino } from "pino";

import { BotManager } from "../../packages/server/src/manager/index.js";
import { storeRecords } from "../../packages/server/src/manager/store-records.js";
import type { ContainerRuntime } from "../../packages/server/src/runtime/runtime.js";
import { openStore, type Store } from "../../packages/server/src/store/index.js";
import { TEST_RUNTIME } from "../support/botbox-server.js";
import { openRuntime } from "../support/runtimes.js";

export const silentLogger = pino({ level: "silent" });

/** A home with a SQLite store and the test backend's runtime, for suites that build their own managers. */
export interface ManagerFixture {
  readonly home: string;
  readonly store: Store;
  readonly runtime: ContainerRuntime;
  readonly image: string;
  /** A manager over the fixture's runtime and store, or over stand-ins for them (fault injection). */
  manager(parts?: { runtime?: ContainerRuntime; store?: Store }): BotManager;
  /** Deletes every bot's container, closes the managers' channels, the runtime and the store, removes the home. */
  close(): Promise<void>;
}

export async function openManagerFixture(name: string): Promise<ManagerFixture> {
  const home = await mkdtemp(path.join(tmpdir(), `botbox-${name}-`));
  const store = await openStore({ sqlitePath: path.join(home, "botbox.db") });
  const { runtime, image } = await openRuntime(TEST_RUNTIME, home);
  const managers = managerMaker({ runtime, store, image, startTimeoutMs: 20_000 });
  const manager = (parts: { runtime?: ContainerRuntime; store?: Store } = {}) => managers.make(parts);
  return {
    home,
    store,
    runtime,
    image,
    manager,
    async close() {
      await managers.cleanUp();
      await runtime.close();
      await store.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/**
 * Managers over one store and runtime, as servers (or a restarted one) would
 * build them; `cleanUp` deletes every bot's container and closes the
 * managers' channels, leaving the runtime and the store to their owner.
 */
export function managerMaker(defaults: {
  runtime: ContainerRuntime;
  store: Store;
  image: string;
  startTimeoutMs: number;
}) {
  const managers: BotManager[] = [];
  const make = (parts: { runtime?: ContainerRuntime; store?: Store; startTimeoutMs?: number } = {}): BotManager => {
    const created = new BotManager({
      runtime: parts.runtime ?? defaults.runtime,
      records: storeRecords(parts.store ?? defaults.store),
      image: defaults.image,
      network: "host",
      limits: {},
      startTimeoutMs: parts.startTimeoutMs ?? defaults.startTimeoutMs,
      logger: silentLogger,
    });
    managers.push(created);
    return created;
  };
  return {
    make,
    async cleanUp(): Promise<void> {
      const cleanup = make();
      for (const bot of await defaults.store.listBots()) await cleanup.deleteContainer(bot.id).catch(() => undefined);
      // Each manager's close() would close the one runtime they share: their channels only.
      for (const each of managers) each.pool.closeAll();
    },
  };
}

/**
 * The four bots a test of reconcile() starts with, named `<prefix>-…`: one
 * running, one whose task the test kills, one stopped through the manager,
 * and one running that is not to be started again (autoStart off).
 */
export async function startReconcileBots(store: Store, manager: BotManager, prefix: string) {
  const bots = {
    running: `${prefix}-running`,
    died: `${prefix}-died`,
    stopped: `${prefix}-stopped`,
    manual: `${prefix}-manual`,
  } as const;
  for (const id of Object.values(bots)) {
    await store.createBot({ id, displayName: id, ...(id === bots.manual ? { config: { autoStart: false } } : {}) });
    await manager.start(id);
  }
  const runningPid = (await manager.state(bots.running)).pid;
  // Stopped through the manager: the record says so.
  await manager.stop(bots.stopped);
  return { bots, runningPid };
}
