/**
 * Runs the migrations of migrations.ts with Kysely's Migrator, which records
 * what ran in `kysely_migration` (so a second run is a no-op) and holds a
 * lock while it works (an advisory lock on PostgreSQL, so two servers
 * starting at once do not both migrate).
 */
import { type MigrationResultSet, Migrator, NO_MIGRATIONS, sql } from "kysely";

import type { StoreDialect } from "./context.js";
import { migrationsFor } from "./migrations.js";
import type { Db } from "./schema.js";

async function migratorFor(db: Db, dialect: StoreDialect): Promise<Migrator> {
  let migrationTableSchema: string | undefined;
  if (dialect === "postgres") {
    // Kysely looks for its bookkeeping table in every schema unless told which one, so a
    // `kysely_migration` in another schema of the same database would fool it. Pin it to
    // the schema the tables go to: the first of the connection's search_path.
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = rows[0]?.schema ?? undefined;
    if (!migrationTableSchema) throw new Error("PostgreSQL: no schema of the search_path exists");
  }
  const migrations = migrationsFor(dialect);
  return new Migrator({ db, migrationTableSchema, provider: { getMigrations: async () => migrations } });
}

function check({ error, results }: MigrationResultSet): string[] {
  if (error) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName;
    throw new Error(`database migration ${failed ?? ""} failed: ${String(error)}`, { cause: error });
  }
  return (results ?? []).map((result) => result.migrationName);
}

/** Applies every pending migration; returns the names applied (none when up to date). */
export async function migrateToLatest(db: Db, dialect: StoreDialect): Promise<string[]> {
  const migrator = await migratorFor(db, dialect);
  return check(await migrator.migrateToLatest());
}

/** Reverts the last `steps` applied migrations (or all); returns the names reverted, latest first. */
export async function migrateDown(db: Db, dialect: StoreDialect, steps: number | "all"): Promise<string[]> {
  const migrator = await migratorFor(db, dialect);
  const applied = (await migrator.getMigrations()).filter((migration) => migration.executedAt !== undefined);
  const keep = steps === "all" ? 0 : Math.max(0, applied.length - steps);
  const target = keep === 0 ? NO_MIGRATIONS : applied[keep - 1]!.name;
  return check(await migrator.migrateTo(target));
}
