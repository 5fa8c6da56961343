/**
 * The tables as Kysely sees them. One set of types for both dialects, so the
 * column types are unions of what each driver hands back; the row mappers in
 * each store file turn them into botbox's own types (Date, boolean, objects).
 */
import type { ColumnType, Kysely } from "kysely";

/** `timestamptz` on PostgreSQL (read as Date), ISO-8601 text on SQLite (read as string). */
type Timestamp = ColumnType<Date | string, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | string | null, Date | string | null, Date | string | null>;
/** `boolean` on PostgreSQL, 0/1 `integer` on SQLite: better-sqlite3 cannot bind booleans. */
type Bool = ColumnType<boolean | number, boolean | number, boolean | number>;
/** `jsonb` on PostgreSQL (read back parsed), `text` on SQLite (read back as text); always written as JSON text. */
type Json = ColumnType<unknown, string, string>;

export interface BotsTable {
  id: string;
  display_name: string;
  config: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ContainersTable {
  id: string;
  bot_id: string;
  container_id: string;
  container_name: string;
  image: string;
  status: string;
  namespace: string;
  auto_start: Bool;
  container_path: string;
  runtime: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_started_at: NullableTimestamp;
  last_stopped_at: NullableTimestamp;
}

export interface SnapshotsTable {
  id: string;
  container_id: string;
  runtime_snapshot_name: string;
  parent_runtime_snapshot_name: string | null;
  snapshotter: string;
  source: string;
  display_name: string | null;
  created_at: Timestamp;
}

export interface ContainerVersionsTable {
  id: string;
  container_id: string;
  snapshot_id: string;
  version: number;
  created_at: Timestamp;
}

export interface LifecycleEventsTable {
  id: string;
  container_id: string;
  event_type: string;
  payload: Json;
  created_at: Timestamp;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** Hex SHA-256 of the token; the token itself is never stored. */
  hash: string;
  scope: string;
  bot_id: string | null;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface McpServersTable {
  bot_id: string;
  name: string;
  command: string;
  /** JSON array of strings. */
  args: Json;
  /** JSON object of string values. */
  env: Json;
  cwd: string;
  enabled: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Database {
  bots: BotsTable;
  containers: ContainersTable;
  snapshots: SnapshotsTable;
  container_versions: ContainerVersionsTable;
  lifecycle_events: LifecycleEventsTable;
  api_tokens: ApiTokensTable;
  mcp_servers: McpServersTable;
}

export type Db = Kysely<Database>;
