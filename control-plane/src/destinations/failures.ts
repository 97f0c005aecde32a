import { type ErrorBody, HoldfastError } from "@holdfast/shared";

/** A short, secret-free reason from any thrown value, for `details.reason`. */
export function reasonOf(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

/** The artifact's own stream failed (not the destination): worth retrying from the spool. */
export function sourceFailed(err: unknown): HoldfastError {
  if (err instanceof HoldfastError) return err;
  return new HoldfastError("DELIVERY_FAILED", `Reading the artifact failed: ${reasonOf(err)}`, { reason: reasonOf(err) }, true);
}

/**
 * Tracks whether a put's source stream failed first, so the error reported is the source's even when
 * the destination's cleanup (an aborted multipart upload) fails afterwards with another one. Attach
 * it before the first await, so an early source error is never unhandled. Once a sink is known,
 * whichever fails first is the cause (pipeline() destroys the other with the same error).
 */
export function watchSource(source: NodeJS.EventEmitter): { failure(): unknown; sink(sink: NodeJS.EventEmitter): void } {
  let first: "source" | "sink" | undefined;
  let failure: unknown;
  source.on("error", (err) => {
    if (first !== undefined) return;
    first = "source";
    failure = err;
  });
  return {
    failure: () => (first === "source" ? failure : undefined),
    sink: (sink) =>
      sink.on("error", () => {
        first ??= "sink";
      }),
  };
}

/** A local file system error as a catalog error. */
export function fsFailure(err: unknown, action: string): HoldfastError {
  if (err instanceof HoldfastError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const reason = reasonOf(err);
  if (code === "ENOSPC" || code === "EDQUOT") return new HoldfastError("DESTINATION_REFUSED", `${action}: the disk is full`, { reason }, true);
  if (code === "EACCES" || code === "EPERM" || code === "EROFS" || code === "ENOTDIR" || code === "EISDIR") {
    return new HoldfastError("DESTINATION_REFUSED", `${action}: ${reason}`, { reason });
  }
  return new HoldfastError("DELIVERY_FAILED", `${action}: ${reason}`, { reason });
}

export function notFound(name: string): HoldfastError {
  return new HoldfastError("ARTIFACT_NOT_FOUND", `The destination holds no object ${JSON.stringify(name)}`, { name });
}

/** Any failure inside a local destination's child process, as the error body it sends its parent. */
export function childFailure(err: unknown): ErrorBody {
  if (err instanceof HoldfastError) return err.toBody();
  return new HoldfastError("DELIVERY_FAILED", `The local destination failed: ${reasonOf(err)}`, { reason: reasonOf(err) }).toBody();
}
