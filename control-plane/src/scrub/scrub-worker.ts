import type { AppContext } from "../context.js";
import { type ScrubContext, type ScrubReport, scrubPass } from "./scrub-pass.js";

export interface ScrubWorker {
  /** One pass now (or the one under way). */
  runNow(): Promise<ScrubReport>;
  close(): Promise<void>;
}

/** Scrub passes on an interval of the context's clock, with env.scrub's limits (interval 0: never, but runNow still works). */
export function startScrubWorker(ctx: ScrubContext & Pick<AppContext, "env">): ScrubWorker {
  const { intervalMs, ...limits } = ctx.env.scrub;
  let current: Promise<ScrubReport> | undefined;
  let cancel: (() => void) | undefined;
  let closed = false;
  const runNow = () => {
    current ??= scrubPass(ctx, limits).finally(() => {
      current = undefined;
    });
    return current;
  };
  const arm = () => {
    if (closed || intervalMs === 0) return;
    cancel = ctx.clock.setTimeout(() => {
      runNow()
        .catch((err: unknown) => ctx.log.error({ err }, "scrub pass failed"))
        .finally(arm);
    }, intervalMs);
  };
  arm();
  return {
    runNow,
    async close() {
      closed = true;
      cancel?.();
      await current?.catch(() => {});
    },
  };
}
