import type { ErrorBody } from "@holdfast/shared/protocol";

/** Why a running run is being stopped from outside: a cancel, or a failure (timeout, shutdown). */
export type StopRequest = { kind: "cancel"; reason: string | null } | { kind: "fail"; error: ErrorBody };

/** Thrown inside executeBackup when a stop was requested between two steps. */
export class RunStopped extends Error {
  constructor() {
    super("run stopped");
  }
}

/**
 * The handle the slot keeps on the running run: the first stop request wins; the kill function is
 * registered once the dump process exists (a request that came earlier kills it as soon as it does).
 */
export class RunControl {
  private request_: StopRequest | null = null;
  private kill: (() => void) | null = null;

  get stopRequest(): StopRequest | null {
    return this.request_;
  }

  request(stop: StopRequest): void {
    if (this.request_) return;
    this.request_ = stop;
    this.kill?.();
  }

  onStop(kill: () => void): void {
    this.kill = kill;
    if (this.request_) kill();
  }

  throwIfStopped(): void {
    if (this.request_) throw new RunStopped();
  }
}
