/**
 * Whether an insert failed on a unique index, on either dialect: better-sqlite3 reports
 * SQLITE_CONSTRAINT_UNIQUE, PostgreSQL SQLSTATE 23505; drizzle wraps the driver's error as `cause`.
 */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "23505") return true;
  }
  return false;
}
