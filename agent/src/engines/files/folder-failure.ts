import { HoldfastError } from "@holdfast/shared/protocol";
import { fileFailureCode } from "../failure-codes.js";

/**
 * The files engine's one classifier: why the datasource's folder itself could not be opened. Missing
 * (or under a missing folder) is DATABASE_NOT_FOUND, not readable by the agent's user
 * DATABASE_AUTH_FAILED (fileFailureCode); anything else keeps the operation's `code`. An entry inside
 * the folder that cannot be read is the dump's own failure (pack-folder.ts), never one of these.
 */
export function folderFailure(code: "DUMP_FAILED" | "DB_CONNECTION_TEST_FAILED", root: string, err: unknown): HoldfastError {
  const errno = (err as NodeJS.ErrnoException)?.code;
  const cause = fileFailureCode(errno);
  const missing = cause === "DATABASE_NOT_FOUND";
  return new HoldfastError(cause ?? code, missing ? `The folder ${root} does not exist` : `The folder ${root} cannot be read (${errno ?? "error"})`, {
    path: root,
    reason: missing ? "missing" : "unreadable",
    ...(errno ? { cause: errno } : {}),
  });
}
