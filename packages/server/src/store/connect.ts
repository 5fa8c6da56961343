/**
 * Opens a Kysely instance on one of the two supported databases. Everything
 * dialect-specific about connections lives here.
 */
import { chmodSync, closeSync, openSync } from "node:fs";

import Sqlite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import { z } from "zod";

import type { StoreDialect } from "./context.js";
import type { Database } from "./schema.js";
import { parseInput } from "./validation.js";

export type StoreOptions =
  /** The embedded default: a file such as `<home>/botbox.db`, or `:memory:`. */
  | { sqlitePath: string }
  /** PostgreSQL, e.g. from `DATABASE_URL`: `postgres://user@host:5432/db`. */
  | { databaseUrl: string };

const optionsSchema = z.union([
  z.strictObject({ sqlitePath: z.string().min(1, "must not be empty") }),
  z.strictObject({
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL"),
  }),
]);

export async function connect(options: StoreOptions): Promise<{ db: Kysely<Database>; dialect: StoreDialect }> {
  const checked = parseInput(optionsSchema, options);
  if ("sqlitePath" in checked) return { db: openSqlite(checked.sqlitePath), dialect: "sqlite" };
  return { db: await openPostgres(checked.databaseUrl), dialect: "postgres" };
}

/** SQLite's own files beside the database; it creates them with the database file's mode. */
const SQLITE_SIDE_FILES = ["-wal", "-shm", "-journal"];

/**
 * The database holds MCP server env values and token hashes: only the
 * server's user may read it. A new file is created 0600 before SQLite opens
 * it (SQLite then gives its -wal and -shm the same mode); an existing one,
 * made by an older botbox with the umask's 0644, is narrowed at each start.
 */
function restrictDatabaseFiles(path: string): void {
  if (path === ":memory:" || path.startsWith("file:")) return;
  closeSync(openSync(path, "a", 0o600));
  for (const file of [path, ...SQLITE_SIDE_FILES.map((suffix) => `${path}${suffix}`)]) {
    try {
      chmodSync(file, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

function openSqlite(path: string): Kysely<Database> {
  restrictDatabaseFiles(path);
  const database = new Sqlite(path);
  // SQLite leaves foreign keys off unless asked, per connection; every cascade depends on them.
  database.pragma("foreign_keys = ON");
  // WAL lets readers (e.g. a backup or `sqlite3` shell) work while the server writes;
  // NORMAL sync is durable in WAL mode except for the last commits on power loss.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("busy_timeout = 5000");
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

async function openPostgres(connectionString: string): Promise<Kysely<Database>> {
  // Loaded only for PostgreSQL: the embedded default's start-up (and with it a
  // restarted server's re-attach) does not pay for it.
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString, max: 10 });
  // An idle connection that the server drops emits `error` on the pool; unhandled, that
  // event would kill the process. The pool discards the client and the next query reconnects.
  pool.on("error", () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
