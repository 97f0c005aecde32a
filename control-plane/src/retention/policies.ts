import { HoldfastError, RetentionPolicy } from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";

export type ScheduleRow = Tables["schedules"]["$inferSelect"];

/** The schedule's stored policy; null when it has none (or one this version cannot read: keep all). */
export function policyOf(schedule: Pick<ScheduleRow, "retention">): RetentionPolicy | null {
  if (!schedule.retention) return null;
  const parsed = RetentionPolicy.safeParse(JSON.parse(schedule.retention));
  return parsed.success ? parsed.data : null;
}

/** The live schedule row, or SCHEDULE_NOT_FOUND (the row itself: retention reads its policy and zone as stored). */
export async function findSchedule(ctx: DbContext, id: string): Promise<ScheduleRow> {
  const { db, t } = ctx.database;
  const row = (await db.select().from(t.schedules).where(and(eq(t.schedules.id, id), isNull(t.schedules.deletedAt))).limit(1))[0];
  if (!row) throw new HoldfastError("SCHEDULE_NOT_FOUND", `No schedule ${id}`, { scheduleId: id });
  return row;
}

/** Every live schedule of a live datasource that has a retention policy (a deleted datasource's backups are kept). */
export async function schedulesWithRetention(ctx: DbContext): Promise<ScheduleRow[]> {
  const { db, t } = ctx.database;
  const rows = await db
    .select({ schedule: t.schedules })
    .from(t.schedules)
    .innerJoin(t.datasources, eq(t.datasources.id, t.schedules.datasourceId))
    .where(and(isNull(t.schedules.deletedAt), isNull(t.datasources.deletedAt)));
  return rows.map((r) => r.schedule).filter((r) => policyOf(r) !== null);
}

/**
 * How many days a datasource's manual backups are kept. A manual backup belongs to no GFS series,
 * but the operator sets `manualRetentionDays` on the schedule form of that database: the largest
 * value among its live schedules applies (several schedules never shorten each other's promise).
 * Without one, HOLDFAST_MANUAL_RETENTION_DAYS; 0 keeps them until deleted. `draft` previews a
 * schedule's policy before it is saved.
 */
export async function manualRetentionDaysFor(ctx: DbContext, datasourceId: string, fallback: number, draft?: { scheduleId: string; policy: RetentionPolicy }): Promise<number> {
  const { db, t } = ctx.database;
  const rows = await db
    .select({ id: t.schedules.id, retention: t.schedules.retention })
    .from(t.schedules)
    .where(and(eq(t.schedules.datasourceId, datasourceId), isNull(t.schedules.deletedAt)));
  // A draft (a preview of edits not saved) stands in for its schedule's stored policy.
  const policies = rows.map((r) => (draft && r.id === draft.scheduleId ? draft.policy : policyOf(r)));
  const days = policies.map((p) => p?.manualRetentionDays ?? 0).filter((d) => d > 0);
  return days.length > 0 ? Math.max(...days) : fallback;
}
