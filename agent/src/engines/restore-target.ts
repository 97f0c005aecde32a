import { HoldfastError } from "@holdfast/shared/protocol";

/** 409 RESTORE_TARGET_NOT_EMPTY, with the way out in the message itself: every engine says it the same way. */
export function targetNotEmpty(what: string, details: Record<string, unknown>): HoldfastError {
  return new HoldfastError("RESTORE_TARGET_NOT_EMPTY", `${what}: restore into an empty one, or send options.overwrite: true to replace them`, details);
}

const DOING: Record<string, string> = { decompress: "decompressing", unpack: "unpacking", restore: "restoring", globals: "applying the globals" };

/**
 * A restore's failure with the stage it stopped in (`details.stage`, kept when the error already
 * names one). A catalog error keeps its code (a classified DATABASE_* cause stays that), except a
 * dump-side code, which becomes RESTORE_FAILED; anything else is RESTORE_FAILED with its errno.
 */
export function restoreStageError(stage: string, err: unknown): HoldfastError {
  if (err instanceof HoldfastError) {
    const details = { ...(err.details ?? {}), stage: (err.details?.stage as string | undefined) ?? stage };
    return new HoldfastError(err.code === "DUMP_FAILED" ? "RESTORE_FAILED" : err.code, err.message, details, err.retryable);
  }
  const errno = (err as NodeJS.ErrnoException)?.code;
  const why = errno ? ` (${errno})` : err instanceof Error ? `: ${err.message}` : "";
  return new HoldfastError("RESTORE_FAILED", `The restore stopped while ${DOING[stage] ?? stage}${why}`, { stage, ...(errno ? { cause: errno } : {}) });
}
