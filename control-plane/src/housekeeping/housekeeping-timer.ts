import { type HousekeepingContext, type PruneReport, pruneHistory } from "./prune-history.js";

export interface HousekeepingTimer {
  runNow(): Promise<PruneReport>;
  close(): Promise<void>;
}

/**
 * Prunes history every `HOLDFAST_HOUSEKEEPING_INTERVAL_MS` (0: never), the first pass within 10
 * minutes of start; one pass at a time, as the retention timer does.
 */
export function startHousekeepingTimer(ctx: HousekeepingContext, intervalMs = ctx.env.housekeepingIntervalMs): HousekeepingTimer {
  let current: Promise<PruneReport> | undefined;
  let cancel: (() => void) | undefined;
  let closed = false;
  const runNow = () => {
    current ??= pruneHistory(ctx).finally(() => {
      current = undefined;
    });
    return current;
  };
  const arm = (ms: number) => {
    if (closed || intervalMs === 0) return;
    cancel = ctx.clock.setTimeout(() => {
      runNow()
        .then((r) => Object.values(r).some((n) => n > 0) && ctx.log.info(r, "history pruned"))
        .catch((err: unknown) => ctx.log.error({ err }, "history housekeeping failed"))
        .finally(() => arm(intervalMs));
    }, ms);
  };
  arm(Math.min(intervalMs, 600_000));
  return {
    runNow,
    async close() {
      closed = true;
      cancel?.();
      await current?.catch(() => {});
    },
  };
}
