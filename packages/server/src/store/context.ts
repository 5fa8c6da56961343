/**
 * What every store file needs: the Kysely instance and the per-dialect value
 * encoding. Reads are dialect-blind (each helper accepts either form), writes
 * go through `ctx.timestamp`/`ctx.bool` because the SQLite driver accepts
 * neither Date nor boolean parameters.
 */
import type { Db } from "./schema.js";

export type StoreDialect = "sqlite" | "postgres";

export interface StoreContext {
  readonly db: Db;
  readonly dialect: StoreDialect;
  timestamp(date: Date): Date | string;
  bool(value: boolean): boolean | number;
}

export function createContext(db: Db, dialect: StoreDialect): StoreContext {
  if (dialect === "postgres") {
    return { db, dialect, timestamp: (date) => date, bool: (value) => value };
  }
  // ISO-8601 with milliseconds and `Z` sorts as text in time order, so ORDER BY works on SQLite.
  return { db, dialect, timestamp: (date) => date.toISOString(), bool: (value) => (value ? 1 : 0) };
}

export function readDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

export function readNullableDate(value: Date | string | null): Date | null {
  return value === null ? null : readDate(value);
}

export function readBool(value: boolean | number): boolean {
  return value === true || value === 1;
}

export function readJson(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}
