import { HoldfastError } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { getAgent } from "../agents/get-agent.js";
import { findSchedule } from "../schedules/schedule-rows.js";
import { type BlackoutSet, blackoutSpanAt, type BlackoutSpan } from "./windows.js";
import { blackoutSetsOf, describeBlackout } from "./firing-plan.js";

export interface ManualRunTarget {
  datasourceId: string;
  agentId: string;
  /** A "Run now" of this schedule: its windows apply as well as the agent's. */
  scheduleId?: string | undefined;
}

async function setsFor(ctx: DbContext, target: ManualRunTarget): Promise<BlackoutSet[]> {
  if (target.scheduleId) {
    const schedule = await findSchedule(ctx, target.scheduleId);
    if (schedule.datasourceId !== target.datasourceId) {
      throw new HoldfastError("VALIDATION_FAILED", `Schedule ${target.scheduleId} backs up another datasource`, { issues: [{ path: "scheduleId", message: "backs up another datasource" }] });
    }
    return blackoutSetsOf(schedule);
  }
  const agent = await getAgent(ctx, target.agentId);
  return agent.blackout === null ? [] : [{ source: "agent", timezone: agent.timezone, windows: JSON.parse(agent.blackout) }];
}

/**
 * A manual backup asked for now, against the blackout windows of its datasource's agent (and of the
 * schedule it is a "Run now" of): inside one, 409 BLACKOUT_WINDOW naming the window and when the
 * blackout ends, unless `force`. Returns the span a forced run goes through, for the audit, or null.
 */
export async function checkManualRun(ctx: DbContext, target: ManualRunTarget, force: boolean): Promise<BlackoutSpan | null> {
  const sets = await setsFor(ctx, target);
  const span = sets.length > 0 ? blackoutSpanAt(sets, ctx.clock.now().getTime()) : null;
  if (!span || force) return span;
  const window = describeBlackout(span.hit);
  const endsAt = span.clearAt === null ? null : new Date(span.clearAt).toISOString();
  throw new HoldfastError("BLACKOUT_WINDOW", `Now is inside the ${window.text}${endsAt ? `, until ${endsAt}` : ""}: no backup starts then unless forced`, { window, endsAt });
}
