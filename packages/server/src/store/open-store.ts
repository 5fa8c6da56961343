import { z } from "zod";

import { createBotStore } from "./bots.js";
import { connect, type StoreOptions } from "./connect.js";
import { createContainerStore } from "./containers.js";
import { createContext } from "./context.js";
import { createEventStore } from "./events.js";
import { createMcpServerStore } from "./mcp-servers.js";
import { migrateDown, migrateToLatest } from "./migrate.js";
import { createSnapshotStore } from "./snapshots.js";
import type { Store } from "./store.js";
import { createTokenStore } from "./tokens.js";
import { parseField } from "./validation.js";
import { createVersionStore } from "./versions.js";

/**
 * Connects, brings the schema up to date (a no-op when it already is), and
 * returns the store. Meant to be called once at server start-up.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const { db, dialect } = await connect(options);
  try {
    await migrateToLatest(db, dialect);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const ctx = createContext(db, dialect);
  let closing: Promise<void> | undefined;
  return {
    dialect,
    ...createBotStore(ctx),
    ...createContainerStore(ctx),
    ...createSnapshotStore(ctx),
    ...createVersionStore(ctx),
    ...createEventStore(ctx),
    ...createTokenStore(ctx),
    ...createMcpServerStore(ctx),
    close: () => (closing ??= db.destroy()),
  };
}

/**
 * Reverts the last `steps` migrations (default 1, or "all" for an empty
 * database); returns the names reverted, latest first. For operators going
 * back to an older botbox; no store may be open on the database meanwhile.
 */
export async function revertStoreMigrations(
  options: StoreOptions,
  { steps = 1 }: { steps?: number | "all" } = {},
): Promise<string[]> {
  parseField("steps", z.union([z.int().positive("must be a positive integer"), z.literal("all")]), steps);
  const { db, dialect } = await connect(options);
  try {
    return await migrateDown(db, dialect, steps);
  } finally {
    await db.destroy();
  }
}
