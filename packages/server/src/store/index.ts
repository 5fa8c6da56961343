// Public face of the store. Anything exported here is public API; named
// exports only.
export type { BotConfig, BotRecord, BotStore, BotUpdate, E2bSandboxConfig, NewBot } from "./bots.js";
export type { StoreOptions } from "./connect.js";
export {
  CONTAINER_STATUSES,
  type ContainerRecord,
  type ContainerStatus,
  type ContainerStore,
  type ContainerUpsert,
} from "./containers.js";
export type { StoreDialect } from "./context.js";
export type { EventRecord, EventsSinceOptions, EventStore, ListEventsOptions, NewEvent } from "./events.js";
export {
  MAX_MCP_SERVER_CONFIG_BYTES,
  MAX_MCP_SERVERS_PER_BOT,
  mcpServerConfigBytes,
  type McpServerInput,
  mcpServerNameSchema,
  type McpServerRecord,
  type McpServerStore,
} from "./mcp-servers.js";
export { openStore, revertStoreMigrations } from "./open-store.js";
export { SNAPSHOT_SOURCES, type SnapshotRecord, type SnapshotSource, type SnapshotStore } from "./snapshots.js";
export type { Store } from "./store.js";
export {
  type NewToken,
  TOKEN_PREFIX,
  TOKEN_SCOPES,
  type TokenRecord,
  type TokenScope,
  type TokenStore,
  type VerifiedToken,
} from "./tokens.js";
export type { SnapshotVersionInput, VersionRecord, VersionStore } from "./versions.js";
