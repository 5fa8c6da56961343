import assert from "node:assert/strict";

import type { BotboxError } from "../../packages/server/src/errors.js";
import { openStore, type Store } from "../../packages/server/src/store/index.js";
import type { FreshDatabase, StoreTarget } from "./targets.js";

/** Runs `body` on a fresh database of `target`, then removes it. */
export async function withFreshDatabase(
  target: StoreTarget,
  body: (database: FreshDatabase) => Promise<void>,
): Promise<void> {
  const database = await target.fresh();
  try {
    await body(database);
  } finally {
    await database.cleanup();
  }
}

/** Runs `body` on a store opened on a fresh database, then closes and removes both. */
export async function withStore(
  target: StoreTarget,
  body: (store: Store, database: FreshDatabase) => Promise<void>,
): Promise<void> {
  await withFreshDatabase(target, async (database) => {
    const store = await openStore(database.options);
    try {
      await body(store, database);
    } finally {
      await store.close();
    }
  });
}

/** Asserts that `work` rejects with a botbox error of `code` whose message mentions `mentions`. */
export async function rejectsWith(work: Promise<unknown>, code: BotboxError["code"], mentions?: string): Promise<void> {
  await assert.rejects(work, (error: BotboxError) => {
    assert.equal(error.code, code, `expected ${code}, got ${String(error)}`);
    if (mentions) assert.match(error.message, new RegExp(mentions.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    return true;
  });
}

export function assertRecentDate(value: unknown, label = "date"): void {
  assert.ok(value instanceof Date, `${label} is a Date`);
  assert.ok(Math.abs(value.getTime() - Date.now()) < 60_000, `${label} is recent: ${value.toISOString()}`);
}

export const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A bot with a container `mcp-<botId>`, the shape the manager creates. */
export async function botWithContainer(store: Store, displayName = "bot") {
  const bot = await store.createBot({ displayName });
  const container = await store.upsertContainer({ botId: bot.id, containerId: `mcp-${bot.id}`, image: "debian:12" });
  return { bot, container, containerId: container.containerId };
}
