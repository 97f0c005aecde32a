import type { Clock, CronPreviewQuery } from "@holdfast/shared";
import { formatWithOffset, nextFirings } from "./cron.js";

/**
 * `GET /schedules/preview?cron=…&timezone=…&count=5`: the next firings from now of a cron not saved
 * yet, computed by the scheduler's own croner settings (compileCron), each with the zone's offset
 * at that instant. A cron or zone the scheduler would refuse is VALIDATION_FAILED naming the field.
 */
export function previewFirings(ctx: { clock: Clock }, { cron, timezone, count }: CronPreviewQuery): { timezone: string; next: string[] } {
  const times = nextFirings(cron, timezone, ctx.clock.now(), count);
  return { timezone, next: times.map((d) => formatWithOffset(d, timezone)) };
}
