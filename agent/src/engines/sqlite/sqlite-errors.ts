import { HoldfastError } from "@holdfast/shared/protocol";
import { fileFailureCode, type DatabaseFailureCode } from "../failure-codes.js";
import { SqliteWorkerError } from "./run-worker.js";
import type { SqliteFailure } from "./worker-protocol.js";

type SqliteErrorCode = "DUMP_FAILED" | "DB_CONNECTION_TEST_FAILED" | "RESTORE_FAILED";

export interface SqliteErrorContext {
  path: string;
  /** RESTORE_FAILED's `details.stage`; also kept on dumps (`snapshot`, `check`). */
  stage?: string;
  busyTimeoutMs?: number;
}

function sentence(f: SqliteFailure, ctx: SqliteErrorContext): string {
  switch (f.reason) {
    case "locked":
      return `The SQLite database ${ctx.path} is locked: another connection held a lock on it for longer than the ${ctx.busyTimeoutMs ?? "configured"} ms busy timeout`;
    case "corrupt":
      return `The SQLite database ${ctx.path} failed its integrity check${f.problems?.length ? `: ${f.problems[0]}` : ` (${f.message})`}`;
    case "stopped":
      return `Work on the SQLite database ${ctx.path} was stopped`;
    case "disk_full":
      return `No space left writing a copy of ${ctx.path}`;
    default:
      return f.message.includes(ctx.path) ? f.message : `${ctx.path}: ${f.message}`;
  }
}

/**
 * SQLite's one classifier: a database file that does not exist (or sits under a missing folder) is
 * DATABASE_NOT_FOUND, one the agent's user may not read DATABASE_AUTH_FAILED (fileFailureCode); a
 * lock, a file that is not a database or a corrupt one keeps the operation's code.
 */
export function classifySqliteFailure(f: SqliteFailure): DatabaseFailureCode | null {
  if (f.reason === "missing") return "DATABASE_NOT_FOUND";
  return f.reason === "unreadable" ? fileFailureCode(f.sqliteCode) : null;
}

/**
 * A catalog error for a SQLite failure: one code per operation (a connection test, a dump, a restore)
 * unless classifySqliteFailure names the cause, and the cause in `details.reason` (`locked`, `missing`,
 * `not_a_database`, `corrupt`...), with SQLite's own code in `details.sqliteCode`: the run's error
 * says exactly what happened.
 */
export function sqliteError(code: SqliteErrorCode, err: unknown, ctx: SqliteErrorContext): HoldfastError {
  if (err instanceof HoldfastError) return err;
  const failure: SqliteFailure =
    err instanceof SqliteWorkerError
      ? err.failure
      : { reason: "other", message: err instanceof Error ? err.message : String(err), ...((err as NodeJS.ErrnoException)?.code ? { sqliteCode: (err as NodeJS.ErrnoException).code } : {}) };
  return new HoldfastError(classifySqliteFailure(failure) ?? code, sentence(failure, ctx), {
    path: ctx.path,
    reason: failure.reason,
    ...(ctx.stage ? { stage: ctx.stage } : {}),
    ...(failure.sqliteCode ? { sqliteCode: failure.sqliteCode } : {}),
    ...(failure.problems?.length ? { problems: failure.problems } : {}),
    ...(failure.reason === "locked" && ctx.busyTimeoutMs !== undefined ? { busyTimeoutMs: ctx.busyTimeoutMs } : {}),
  });
}
