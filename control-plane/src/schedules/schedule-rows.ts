import { type BackupOptions, DEFAULT_RETRY, HoldfastError, type RetentionPolicy, type RetrySettings } from "@holdfast/shared";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";
import { formatWithOffset, nextFiring } from "./cron.js";

export type ScheduleRow = Tables["schedules"]["$inferSelect"];

/** A schedule row with its JSON parsed and the agent its datasource lives on. */
export interface Schedule {
  id: string;
  datasourceId: string;
  agentId: string;
  name: string;
  cron: string;
  timezone: string;
  destinationIds: string[];
  options: BackupOptions | undefined;
  retention: RetentionPolicy | undefined;
  retry: RetrySettings | undefined;
  verify: boolean;
  paused: boolean;
  /** The firing loop's cursor: the next firing is the first after it (schema/sqlite/fleet.ts says what moves it). */
  fireCursor: number;
  /** The fire time of the last firing recorded to run; null before the first. */
  lastFiredAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface ScheduleView {
  id: string;
  datasourceId: string;
  agentId: string;
  name: string;
  cron: string;
  timezone: string;
  destinationIds: string[];
  options: BackupOptions | null;
  retention: RetentionPolicy | null;
  /** The retry settings in force: the schedule's, with the defaults filled in. */
  retry: { attempts: number; backoffMinutes: number };
  verify: boolean;
  paused: boolean;
  /** The fire time of the last firing recorded to run (missed ones while the control plane was down do not count); null before the first. */
  lastFiredAt: string | null;
  /** The next firing with the zone's offset, as GET /schedules/:id/next shows it; null while paused. */
  nextFireAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const json = <T>(text: string | null): T | undefined => (text === null ? undefined : (JSON.parse(text) as T));

export function toSchedule(row: ScheduleRow, agentId: string): Schedule {
  return {
    id: row.id,
    datasourceId: row.datasourceId,
    agentId,
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    destinationIds: JSON.parse(row.destinationIds) as string[],
    options: json<BackupOptions>(row.options),
    retention: json<RetentionPolicy>(row.retention),
    retry: json<RetrySettings>(row.retry),
    verify: row.verify,
    paused: row.paused,
    fireCursor: row.fireCursor,
    lastFiredAt: row.lastFiredAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function toView(s: Schedule, now: Date): ScheduleView {
  const next = s.paused ? null : nextFiring(s.cron, s.timezone, new Date(Math.max(now.getTime(), s.fireCursor)));
  return {
    id: s.id,
    datasourceId: s.datasourceId,
    agentId: s.agentId,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    destinationIds: s.destinationIds,
    options: s.options ?? null,
    retention: s.retention ?? null,
    retry: { attempts: s.retry?.attempts ?? DEFAULT_RETRY.attempts, backoffMinutes: s.retry?.backoffMinutes ?? DEFAULT_RETRY.backoffMinutes },
    verify: s.verify,
    paused: s.paused,
    lastFiredAt: s.lastFiredAt === null ? null : new Date(s.lastFiredAt).toISOString(),
    nextFireAt: next ? formatWithOffset(next, s.timezone) : null,
    createdAt: new Date(s.createdAt).toISOString(),
    updatedAt: new Date(s.updatedAt).toISOString(),
  };
}

/** The backup options each run of the schedule is asked for: its options, plus the drill when `verify` is set. */
export function runOptionsOf(s: Pick<Schedule, "options" | "verify">): BackupOptions | undefined {
  if (!s.verify) return s.options;
  return { ...s.options, verify: true };
}

function selectSchedules(ctx: DbContext) {
  const { db, t } = ctx.database;
  return db.select({ row: t.schedules, agentId: t.datasources.agentId }).from(t.schedules).innerJoin(t.datasources, eq(t.datasources.id, t.schedules.datasourceId));
}

/** Every schedule not deleted, oldest first; `active` keeps only those not paused. */
export async function listScheduleRecords(ctx: DbContext, opts: { active?: boolean } = {}): Promise<Schedule[]> {
  const { t } = ctx.database;
  const live = isNull(t.schedules.deletedAt);
  const rows = await selectSchedules(ctx)
    .where(opts.active ? and(live, eq(t.schedules.paused, false)) : live)
    .orderBy(asc(t.schedules.createdAt), asc(t.schedules.id));
  return rows.map((r) => toSchedule(r.row, r.agentId));
}

/** The schedule, or SCHEDULE_NOT_FOUND (deleted ones too). */
export async function findSchedule(ctx: DbContext, id: string): Promise<Schedule> {
  const { t } = ctx.database;
  const row = (await selectSchedules(ctx).where(and(eq(t.schedules.id, id), isNull(t.schedules.deletedAt))).limit(1))[0];
  if (!row) throw new HoldfastError("SCHEDULE_NOT_FOUND", `No schedule ${id}`, { scheduleId: id });
  return toSchedule(row.row, row.agentId);
}
