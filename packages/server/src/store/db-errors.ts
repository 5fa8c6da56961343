/**
 * Constraint violations as one vocabulary for both drivers, so callers can
 * turn them into botbox errors (a unique violation is a ConflictError on
 * SQLite and PostgreSQL alike) without matching on message text.
 */
export type ConstraintKind = "unique" | "foreign_key" | "check" | "not_null";

// better-sqlite3 puts SQLite's extended result code name in `code`.
const sqliteCodes: Record<string, ConstraintKind> = {
  SQLITE_CONSTRAINT_UNIQUE: "unique",
  SQLITE_CONSTRAINT_PRIMARYKEY: "unique",
  SQLITE_CONSTRAINT_FOREIGNKEY: "foreign_key",
  // SQLite reports an ON DELETE RESTRICT refusal as a trigger failure; botbox has no triggers of its own.
  SQLITE_CONSTRAINT_TRIGGER: "foreign_key",
  SQLITE_CONSTRAINT_CHECK: "check",
  SQLITE_CONSTRAINT_NOTNULL: "not_null",
};

// pg puts the SQLSTATE in `code`.
const postgresCodes: Record<string, ConstraintKind> = {
  "23505": "unique",
  "23503": "foreign_key",
  "23001": "foreign_key",
  "23514": "check",
  "23502": "not_null",
};

export function constraintViolation(error: unknown): ConstraintKind | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string") return undefined;
  return sqliteCodes[code] ?? postgresCodes[code];
}

/** Runs `work`; a violation of a kind listed in `errors` is rethrown as the error made from the driver's. */
export async function translateViolations<T>(
  work: () => Promise<T>,
  errors: Partial<Record<ConstraintKind, (cause: unknown) => Error>>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const kind = constraintViolation(error);
    const make = kind && errors[kind];
    throw make ? make(error) : error;
  }
}
