import type { AppContext } from "../context.js";
import { type PeriodicPass, startPeriodicPass } from "../timers/periodic-pass.js";
import { type ScrubContext, type ScrubReport, scrubPass } from "./scrub-pass.js";

/** `runNow()`: one pass now (or the one under way). */
export type ScrubWorker = PeriodicPass<ScrubReport>;

/** Scrub passes on an interval of the context's clock, with env.scrub's limits (interval 0: never, but runNow still works). */
export function startScrubWorker(ctx: ScrubContext & Pick<AppContext, "env">): ScrubWorker {
  const { intervalMs, ...limits } = ctx.env.scrub;
  return startPeriodicPass(ctx, { name: "scrub pass", everyMs: intervalMs, pass: () => scrubPass(ctx, limits) });
}
