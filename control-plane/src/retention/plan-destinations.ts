import { eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { type DeliveredBackup, deliveredBackups } from "./collect-backups.js";
import { planGfsRetention } from "./plan-gfs.js";
import { planManualRetention } from "./plan-manual.js";
import { policyOf, type ScheduleRow } from "./policies.js";
import type { RetentionDecision } from "./types.js";

/** One backup's fate on one destination. */
export interface PlannedBackup {
  backup: DeliveredBackup;
  keep: boolean;
  reasons: string[];
}

export interface DestinationPlan {
  destinationId: string;
  /** Newest first. */
  items: PlannedBackup[];
}

function join(backups: DeliveredBackup[], decisions: RetentionDecision[]): PlannedBackup[] {
  const byId = new Map(backups.map((b) => [b.id, b]));
  return decisions.map((d) => ({ backup: byId.get(d.id)!, keep: d.keep, reasons: d.reasons }));
}

/**
 * GFS for one schedule, per destination its backups reached, in the schedule's time zone. Only the
 * schedule's own runs take part (a schedule never weighs another's backups); manual runs started
 * from it are outside GFS here and aged by `planManualBackups`.
 */
export async function planScheduleBackups(ctx: DbContext, schedule: ScheduleRow, now: Date): Promise<DestinationPlan[]> {
  // No policy reads as the empty one: everything kept, and the preview says so.
  const policy = policyOf(schedule) ?? {};
  const { t } = ctx.database;
  const byDestination = await deliveredBackups(ctx, eq(t.runs.scheduleId, schedule.id));
  return [...byDestination].map(([destinationId, backups]) => ({
    destinationId,
    items: join(backups, planGfsRetention(backups, policy, schedule.timezone, now)),
  }));
}

/**
 * `manualRetentionDays` for one datasource, per destination. Every backup of the datasource there
 * takes part, so the newest successful one stays whether it was manual or scheduled; only manual
 * ones can be planned for deletion (scheduled ones are GFS's).
 */
export async function planManualBackups(ctx: DbContext, datasourceId: string, days: number, now: Date): Promise<DestinationPlan[]> {
  const { t } = ctx.database;
  const byDestination = await deliveredBackups(ctx, eq(t.runs.datasourceId, datasourceId));
  return [...byDestination].map(([destinationId, backups]) => ({
    destinationId,
    items: join(backups, planManualRetention(backups, days, now)),
  }));
}
