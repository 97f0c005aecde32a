import type { FailureReason, SqliteFailure } from "./worker-protocol.js";

/** A failure already described (pre-checks throw these, so their reason survives as is). */
export class SqliteTaskError extends Error {
  constructor(readonly failure: SqliteFailure) {
    super(failure.message);
    this.name = "SqliteTaskError";
  }
}

function reasonOf(code: string): FailureReason {
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "locked";
  if (code === "SQLITE_NOTADB") return "not_a_database";
  if (code.startsWith("SQLITE_CORRUPT")) return "corrupt";
  if (code === "SQLITE_FULL" || code === "ENOSPC") return "disk_full";
  if (code === "ENOENT") return "missing";
  if (code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_PERM") || code.startsWith("SQLITE_READONLY") || code === "EACCES" || code === "EPERM") {
    return "unreadable";
  }
  return "other";
}

/** Any error thrown inside a task, as a plain object that crosses the thread boundary. */
export function describeFailure(err: unknown): SqliteFailure {
  if (err instanceof SqliteTaskError) return err.failure;
  const code = typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return { reason: code ? reasonOf(code) : "other", message, ...(code ? { sqliteCode: code } : {}) };
}
