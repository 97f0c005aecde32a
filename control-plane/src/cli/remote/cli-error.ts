import { type ErrorCode, ERROR_CATALOG, HoldfastError } from "@holdfast/shared";
import { EXIT, type ExitCode, exitCodeOfStatus } from "./exit-codes.js";

/** A failure to report as one line on stderr with its exit code; never a stack trace. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** The catalog's code when the control plane (or a local check) gave one. */
    readonly code: ErrorCode | null = null,
    /** What to do about it, printed on a second line. */
    readonly action: string | null = null,
  ) {
    super(message);
  }
}

/** A local HoldfastError (a zod check of a flag, a file's content) as a CliError. */
export function cliErrorOf(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof HoldfastError) {
    const status = ERROR_CATALOG[err.code].status;
    return new CliError(err.message, exitCodeOfStatus(status), err.code, null);
  }
  return new CliError(`unexpected error: ${(err as Error)?.message ?? String(err)}`, EXIT.failed);
}
