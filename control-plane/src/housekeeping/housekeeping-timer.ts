import { type PeriodicPass, startPeriodicPass } from "../timers/periodic-pass.js";
import { type HousekeepingContext, type PruneReport, pruneHistory } from "./prune-history.js";

export type HousekeepingTimer = PeriodicPass<PruneReport>;

/**
 * Prunes history every `HOLDFAST_HOUSEKEEPING_INTERVAL_MS` (0: never), the first pass within 10
 * minutes of start.
 */
export function startHousekeepingTimer(ctx: HousekeepingContext, intervalMs = ctx.env.housekeepingIntervalMs): HousekeepingTimer {
  return startPeriodicPass(ctx, {
    name: "history housekeeping",
    everyMs: intervalMs,
    firstAfterMs: Math.min(intervalMs, 600_000),
    pass: () => pruneHistory(ctx),
    report: (r) => Object.values(r).some((n) => n > 0) && ctx.log.info(r, "history pruned"),
  });
}
