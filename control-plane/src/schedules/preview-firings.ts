import { type CronPreviewQuery, DEFAULT_BLACKOUT_MISFIRE } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { getAgent } from "../agents/get-agent.js";
import { blackoutSetsOf, planFiring } from "../blackout/firing-plan.js";
import { nextRunTimes } from "../blackout/next-runs.js";
import { assertTimeZone, formatWithOffset, nextFirings } from "./cron.js";

/**
 * `GET /schedules/preview?cron=…&timezone=…&count=5`: the next firings from now of a cron not saved
 * yet, computed by the scheduler's own croner settings (compileCron), each with the zone's offset
 * at that instant. A cron or zone the scheduler would refuse is VALIDATION_FAILED naming the field.
 * With draft `blackout` windows (and `agentId`, whose windows apply too) these are the times it
 * would run: a firing inside a window at the window's end, or not at all with `skip`.
 */
export async function previewFirings(ctx: DbContext, query: CronPreviewQuery): Promise<{ timezone: string; next: string[] }> {
  const { cron, timezone, count } = query;
  const now = ctx.clock.now();
  const agent = query.agentId ? await getAgent(ctx, query.agentId) : undefined;
  assertTimeZone(timezone);
  const sets = blackoutSetsOf({
    timezone,
    blackout: query.blackout ?? [],
    blackoutMisfire: query.blackoutMisfire ?? DEFAULT_BLACKOUT_MISFIRE,
    agentTimezone: agent?.timezone ?? "UTC",
    agentBlackout: agent?.blackout ? JSON.parse(agent.blackout) : [],
  });
  const misfire = query.blackoutMisfire ?? DEFAULT_BLACKOUT_MISFIRE;
  const times =
    sets.length === 0
      ? nextFirings(cron, timezone, now, count)
      : nextRunTimes(cron, timezone, (t) => planFiring(sets, misfire, t), now.getTime(), now.getTime(), count).map((t) => new Date(t));
  return { timezone, next: times.map((d) => formatWithOffset(d, timezone)) };
}
