import type { Clock } from "@holdfast/shared";
import type { Logger } from "../logger.js";

/** A job the control plane runs on an interval: retention, housekeeping, the RPO watch, the scrub. */
export interface PeriodicPass<R> {
  /** Runs a pass now, or joins the one under way. */
  runNow(): Promise<R>;
  /** Stops the timer and waits for a pass under way. */
  close(): Promise<void>;
}

/**
 * Runs `pass` every `everyMs` of the context's clock (0: never; `runNow` still works), the first
 * time after `firstAfterMs` (default: `everyMs`), one pass at a time; the next one is armed when
 * the last ends, so a slow pass never overlaps itself. A failed pass is logged and the timer goes
 * on; `report` logs what a pass did.
 */
export function startPeriodicPass<R>(
  ctx: { clock: Clock; log: Logger },
  opts: { name: string; everyMs: number; firstAfterMs?: number; pass: () => Promise<R>; report?: (result: R) => void },
): PeriodicPass<R> {
  let current: Promise<R> | undefined;
  let cancel: (() => void) | undefined;
  let closed = false;
  const runNow = () => {
    current ??= opts.pass().finally(() => {
      current = undefined;
    });
    return current;
  };
  const arm = (ms: number) => {
    if (closed || opts.everyMs === 0) return;
    cancel = ctx.clock.setTimeout(() => {
      runNow()
        .then((result) => opts.report?.(result))
        .catch((err: unknown) => ctx.log.error({ err }, `${opts.name} failed`))
        .finally(() => arm(opts.everyMs));
    }, ms);
  };
  arm(opts.firstAfterMs ?? opts.everyMs);
  return {
    runNow,
    async close() {
      closed = true;
      cancel?.();
      await current?.catch(() => {});
    },
  };
}
