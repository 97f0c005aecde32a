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

type ByDestination = Map<string, DeliveredBackup[]>;

/** GFS for one schedule over backups already read (deliveredBackups): its own runs only, per destination they reached. */
export function planGfsOf(byDestination: ByDestination, schedule: ScheduleRow, now: Date): DestinationPlan[] {
  // No policy reads as the empty one: everything kept, and the preview says so.
  const policy = policyOf(schedule) ?? {};
  return [...byDestination].flatMap(([destinationId, all]) => {
    const backups = all.filter((b) => b.scheduleId === schedule.id);
    return backups.length === 0 ? [] : [{ destinationId, items: join(backups, planGfsRetention(backups, policy, schedule.timezone, now)) }];
  });
}

/** `manualRetentionDays` over a datasource's backups already read (deliveredBackups), per destination. */
export function planManualOf(byDestination: ByDestination, days: number, now: Date): DestinationPlan[] {
  return [...byDestination].map(([destinationId, backups]) => ({ destinationId, items: join(backups, planManualRetention(backups, days, now)) }));
}

/**
 * GFS for one schedule, per destination its backups reached, in the schedule's time zone. Only the
 * schedule's own runs take part (a schedule never weighs another's backups); manual runs started
 * from it are outside GFS here and aged by `planManualBackups`.
 */
export async function planScheduleBackups(ctx: DbContext, schedule: ScheduleRow, now: Date): Promise<DestinationPlan[]> {
  return planGfsOf(await deliveredBackups(ctx, eq(ctx.database.t.runs.scheduleId, schedule.id)), schedule, now);
}

/**
 * `manualRetentionDays` for one datasource, per destination. Every backup of the datasource there
 * takes part, so the newest successful one stays whether it was manual or scheduled; only manual
 * ones can be planned for deletion (scheduled ones are GFS's).
 */
export async function planManualBackups(ctx: DbContext, datasourceId: string, days: number, now: Date): Promise<DestinationPlan[]> {
  return planManualOf(await deliveredBackups(ctx, eq(ctx.database.t.runs.datasourceId, datasourceId)), days, now);
}
