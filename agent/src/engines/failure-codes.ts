import { HoldfastError, type ErrorCode } from "@holdfast/shared/protocol";
import { redactSecrets, type ToolExit } from "./spawn-tool.js";

/** The three causes of a failed connection a user must tell apart (docs/decisions.md, "Database failures"). */
export type DatabaseFailureCode = "DATABASE_AUTH_FAILED" | "DATABASE_NOT_FOUND" | "DATABASE_UNREACHABLE";

/** What an engine's classifier found: the cause, and the sentence (already redacted) that says so. */
export interface DatabaseFailure {
  code: DatabaseFailureCode;
  evidence: string;
}

/** Each engine's one function that reads a tool's (redacted) stderr for a cause; null when it is none of the three. */
export type FailureClassifier = (stderr: string) => DatabaseFailure | null;

export function isDatabaseFailureCode(code: string): code is DatabaseFailureCode {
  return code === "DATABASE_AUTH_FAILED" || code === "DATABASE_NOT_FOUND" || code === "DATABASE_UNREACHABLE";
}

/** A classified failure: the operation and the evidence in the message, the rest in the details. */
export function databaseFailure(found: DatabaseFailure, what: string, details: Record<string, unknown> = {}): HoldfastError {
  return new HoldfastError(found.code, `${what}: ${found.evidence}`, details);
}

/**
 * A tool that exited non-zero, as a catalog error: one of the three database causes when the engine's
 * classifier recognises it, else `code` (DUMP_FAILED, RESTORE_FAILED...). The stderr tail is in the
 * details with every spelling of the password masked, and the classifier only ever sees that masked
 * text, so no message can echo a password either.
 */
export function toolFailure(
  code: ErrorCode,
  what: string,
  exit: ToolExit,
  opts: { secrets: readonly (string | undefined)[]; classify?: FailureClassifier; extra?: Record<string, unknown> },
): HoldfastError {
  const stderr = redactSecrets(exit.stderrTail.trim(), opts.secrets);
  const details = { ...opts.extra, exitCode: exit.code, signal: exit.signal, stderr };
  const found = exit.signal ? null : opts.classify?.(stderr);
  if (found) return databaseFailure(found, what, details);
  const why = exit.signal ? `was stopped by ${exit.signal}` : `exited with code ${exit.code}`;
  return new HoldfastError(code, `${what} ${why}`, details);
}

/**
 * The file-based engines' (SQLite, files) cause of a failed open, from its errno: what is not there
 * (ENOENT, or ENOTDIR for a path through a file) is DATABASE_NOT_FOUND; what the agent's user may not
 * read is DATABASE_AUTH_FAILED, the file system's refusal of that user's credentials.
 */
export function fileFailureCode(errno: string | undefined): DatabaseFailureCode | null {
  if (errno === "ENOENT" || errno === "ENOTDIR") return "DATABASE_NOT_FOUND";
  if (errno === "EACCES" || errno === "EPERM") return "DATABASE_AUTH_FAILED";
  return null;
}
