/**
 * Where the shared store suite runs: a fresh, empty database per test on
 * each dialect, plus a side door (raw reads) for checks the Store API cannot
 * make, such as "the plaintext token is stored nowhere".
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import Sqlite from "better-sqlite3";
import pg from "pg";

import type { StoreOptions } from "../../packages/server/src/store/index.js";

export interface FreshDatabase {
  readonly options: StoreOptions;
  /** The user tables that exist now, sorted (Kysely's bookkeeping excluded). */
  tables(): Promise<string[]>;
  /** Every row of a table as the driver returns it. */
  rows(table: string): Promise<Record<string, unknown>[]>;
  /** Removes the database; call after closing every store on it. */
  cleanup(): Promise<void>;
}

export interface StoreTarget {
  readonly name: "sqlite" | "postgres";
  fresh(): Promise<FreshDatabase>;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A temporary file per test: the way the server uses SQLite (`<home>/botbox.db`). */
export function sqliteTarget(): StoreTarget {
  return {
    name: "sqlite",
    async fresh() {
      const folder = await mkdtemp(path.join(tmpdir(), "botbox-store-"));
      const file = path.join(folder, "botbox.db");
      const read = <T>(query: string) => {
        const db = new Sqlite(file, { readonly: true });
        try {
          return db.prepare(query).all() as T[];
        } finally {
          db.close();
        }
      };
      return {
        options: { sqlitePath: file },
        tables: async () =>
          read<{ name: string }>(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'kysely_%' order by name",
          ).map((row) => row.name),
        rows: async (table) => read(`select * from ${quoteIdent(table)}`),
        cleanup: () => rm(folder, { recursive: true, force: true }),
      };
    },
  };
}

/**
 * A schema of its own per test in the database at `url`, reached through the
 * connection's search_path, so parallel runs never see each other's tables.
 */
export function postgresTarget(url: string): StoreTarget {
  const query = async <T>(sql: string, searchPath?: string) => {
    const client = new pg.Client({
      connectionString: url,
      options: searchPath ? `-c search_path=${searchPath}` : undefined,
    });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return {
    name: "postgres",
    async fresh() {
      const schema = `botbox_test_${process.pid}_${randomBytes(6).toString("hex")}`;
      await query(`create schema ${quoteIdent(schema)}`);
      const withSchema = new URL(url);
      withSchema.searchParams.set("options", `-c search_path=${schema}`);
      return {
        options: { databaseUrl: withSchema.toString() },
        tables: async () =>
          (
            await query<{ name: string }>(
              `select table_name as name from information_schema.tables
               where table_schema = '${schema}' and table_name not like 'kysely_%' order by table_name`,
            )
          ).map((row) => row.name),
        rows: (table) => query(`select * from ${quoteIdent(table)}`, schema),
        cleanup: async () => {
          await query(`drop schema ${quoteIdent(schema)} cascade`);
        },
      };
    },
  };
}
