import type { BotStore } from "./bots.js";
import type { ContainerStore } from "./containers.js";
import type { StoreDialect } from "./context.js";
import type { EventStore } from "./events.js";
import type { McpServerStore } from "./mcp-servers.js";
import type { SnapshotStore } from "./snapshots.js";
import type { TokenStore } from "./tokens.js";
import type { VersionStore } from "./versions.js";

/**
 * botbox's database: bots, their containers, snapshots and versions,
 * lifecycle events, API tokens and bots' MCP servers, on SQLite or PostgreSQL alike. Reads
 * return `undefined` for a missing row; deletes return whether a row went;
 * updates of a missing row throw NotFoundError. Bad input throws
 * BadRequestError naming the field, a uniqueness clash ConflictError.
 */
export interface Store
  extends BotStore, ContainerStore, SnapshotStore, VersionStore, EventStore, TokenStore, McpServerStore {
  readonly dialect: StoreDialect;
  /** Closes the connections; the store is unusable afterwards. Safe to call twice. */
  close(): Promise<void>;
}
