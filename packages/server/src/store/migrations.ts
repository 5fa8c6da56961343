/**
 * The schema's history, defined in code so the server bundles without
 * reading files at run time. ONE set of migrations for both dialects: the
 * only per-dialect choice is the column type for timestamps, booleans and
 * JSON (see `columnTypes`). A migration that has shipped is never edited;
 * changes go into a new one.
 */
import { type Kysely, type Migration, sql } from "kysely";

import type { StoreDialect } from "./context.js";

function columnTypes(dialect: StoreDialect) {
  const postgres = dialect === "postgres";
  return {
    timestamp: postgres ? "timestamptz" : "text",
    // Same text shape as `StoreContext.timestamp` writes, so defaults and app values sort together.
    now: postgres ? sql`now()` : sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
    bool: postgres ? "boolean" : "integer",
    json: postgres ? "jsonb" : "text",
  } as const;
}

type Step = (db: Kysely<unknown>, dialect: StoreDialect) => Promise<void>;

const steps: Record<string, { up: Step; down: Step }> = {
  "0001_bots_and_containers": {
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable("bots")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("config", t.json, (c) => c.notNull())
        .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
        .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
        .execute();
      // The original's containers table without host_path, plus the runtime backend that owns the container.
      await db.schema
        .createTable("containers")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("bot_id", "text", (c) => c.notNull().references("bots.id").onDelete("cascade"))
        .addColumn("container_id", "text", (c) => c.notNull().unique())
        .addColumn("container_name", "text", (c) => c.notNull().unique())
        .addColumn("image", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull().defaultTo("created"))
        .addColumn("namespace", "text", (c) => c.notNull().defaultTo("default"))
        .addColumn("auto_start", t.bool, (c) => c.notNull().defaultTo(sql`true`))
        .addColumn("container_path", "text", (c) => c.notNull().defaultTo("/data"))
        .addColumn("runtime", "text")
        .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
        .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
        .addColumn("last_started_at", t.timestamp)
        .addColumn("last_stopped_at", t.timestamp)
        .addCheckConstraint("containers_status_check", sql`status in ('created', 'running', 'stopped', 'error')`)
        .execute();
      await db.schema.createIndex("containers_bot_id_idx").on("containers").column("bot_id").execute();
    },
    async down(db) {
      await db.schema.dropTable("containers").execute();
      await db.schema.dropTable("bots").execute();
    },
  },

  "0002_snapshots_and_versions": {
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable("snapshots")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("container_id", "text", (c) => c.notNull().references("containers.container_id").onDelete("cascade"))
        .addColumn("runtime_snapshot_name", "text", (c) => c.notNull())
        .addColumn("parent_runtime_snapshot_name", "text")
        .addColumn("snapshotter", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull().defaultTo("manual"))
        .addColumn("display_name", "text")
        .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
        .addUniqueConstraint("snapshots_container_name_unique", ["container_id", "runtime_snapshot_name"])
        .addCheckConstraint("snapshots_source_check", sql`source in ('manual', 'pre_exec', 'rollback')`)
        .execute();
      await db.schema
        .createTable("container_versions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("container_id", "text", (c) => c.notNull().references("containers.container_id").onDelete("cascade"))
        // RESTRICT: a snapshot that a version points at cannot be dropped on its own.
        .addColumn("snapshot_id", "text", (c) => c.notNull().references("snapshots.id").onDelete("restrict"))
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
        .addUniqueConstraint("container_versions_container_version_unique", ["container_id", "version"])
        .execute();
      await db.schema
        .createIndex("container_versions_snapshot_id_idx")
        .on("container_versions")
        .column("snapshot_id")
        .execute();
    },
    async down(db) {
      await db.schema.dropTable("container_versions").execute();
      await db.schema.dropTable("snapshots").execute();
    },
  },

  "0003_lifecycle_events": {
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable("lifecycle_events")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("container_id", "text", (c) => c.notNull().references("containers.container_id").onDelete("cascade"))
        .addColumn("event_type", "text", (c) => c.notNull())
        .addColumn("payload", t.json, (c) => c.notNull())
        .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
        .execute();
      await db.schema
        .createIndex("lifecycle_events_container_created_idx")
        .on("lifecycle_events")
        .columns(["container_id", "created_at"])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable("lifecycle_events").execute();
    },
  },

  "0004_api_tokens": {
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable("api_tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull().unique())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("bot_id", "text", (c) => c.references("bots.id").onDelete("cascade"))
        .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
        .addColumn("last_used_at", t.timestamp)
        .addColumn("revoked_at", t.timestamp)
        // A bot token without a bot would be an admin token by accident.
        .addCheckConstraint(
          "api_tokens_scope_check",
          sql`(scope = 'admin' and bot_id is null) or (scope = 'bot' and bot_id is not null)`,
        )
        .execute();
      await db.schema.createIndex("api_tokens_bot_id_idx").on("api_tokens").column("bot_id").execute();
    },
    async down(db) {
      await db.schema.dropTable("api_tokens").execute();
    },
  },

  "0005_mcp_servers": {
    async up(db, dialect) {
      const t = columnTypes(dialect);
      // A bot's configured stdio MCP servers (the federation gateway's), run inside its workspace.
      await db.schema
        .createTable("mcp_servers")
        .addColumn("bot_id", "text", (c) => c.notNull().references("bots.id").onDelete("cascade"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("command", "text", (c) => c.notNull())
        .addColumn("args", t.json, (c) => c.notNull())
        .addColumn("env", t.json, (c) => c.notNull())
        .addColumn("cwd", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("enabled", t.bool, (c) => c.notNull().defaultTo(sql`true`))
        .addColumn("created_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
        .addColumn("updated_at", t.timestamp, (c) => c.notNull().defaultTo(t.now))
        .addPrimaryKeyConstraint("mcp_servers_pk", ["bot_id", "name"])
        .execute();
    },
    async down(db) {
      await db.schema.dropTable("mcp_servers").execute();
    },
  },
  "0006_network_default": {
    // Until now every new bot had `"network": "host"` written into its config,
    // asked for or not. Drop it, so those bots take the server's default
    // (`isolated` from now on); a bot that needs the host's network opts in again.
    async up(db, dialect) {
      if (dialect === "postgres")
        await sql`update bots set config = config - 'network' where config->>'network' = 'host'`.execute(db);
      else
        await sql`update bots set config = json_remove(config, '$.network') where json_extract(config, '$.network') = 'host'`.execute(
          db,
        );
    },
    async down() {
      // Nothing to undo: a bot without a network takes the server's default.
    },
  },
};

/** The migrations in Kysely's shape, bound to one dialect. Names sort in order of application. */
export function migrationsFor(dialect: StoreDialect): Record<string, Migration> {
  return Object.fromEntries(
    Object.entries(steps).map(([name, step]) => [
      name,
      { up: (db: Kysely<unknown>) => step.up(db, dialect), down: (db: Kysely<unknown>) => step.down(db, dialect) },
    ]),
  );
}
