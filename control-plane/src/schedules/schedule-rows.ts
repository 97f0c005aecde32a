import { type BackupOptions, type BlackoutMisfire, type BlackoutWindow, DEFAULT_BLACKOUT_MISFIRE, DEFAULT_RETRY, HoldfastError, type RetentionPolicy, type RetrySettings } from "@holdfast/shared";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";
import { formatWithOffset, nextFiring, nextFirings } from "./cron.js";
import { firingPlannerOf } from "../blackout/firing-plan.js";
import { nextRunTimes } from "../blackout/next-runs.js";

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
  /** Its blackout windows, in `timezone`. */
  blackout: BlackoutWindow[];
  blackoutMisfire: BlackoutMisfire;
  /** Its agent's windows, in the agent's zone: they apply to this schedule's firings too. */
  agentBlackout: BlackoutWindow[];
  agentTimezone: string;
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
  /** Times no firing starts, in `timezone` (the agent's windows apply too, in its zone). */
  blackout: BlackoutWindow[];
  /** A firing inside a window: run at its end (`defer`) or recorded missed (`skip`). */
  blackoutMisfire: BlackoutMisfire;
  /** The fire time of the last firing recorded to run (missed ones while the control plane was down do not count); null before the first. */
  lastFiredAt: string | null;
  /** The next run with the zone's offset, after blackout windows, as GET /schedules/:id/next shows it; null while paused. */
  nextFireAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const json = <T>(text: string | null): T | undefined => (text === null ? undefined : (JSON.parse(text) as T));

/** The agent a schedule's datasource lives on, as far as its firings need it. */
export interface ScheduleAgent {
  id: string;
  timezone: string;
  blackout: string | null;
}

export function toSchedule(row: ScheduleRow, agent: ScheduleAgent): Schedule {
  return {
    id: row.id,
    datasourceId: row.datasourceId,
    agentId: agent.id,
    name: row.name,
    cron: row.cron,
    timezone: row.timezone,
    destinationIds: JSON.parse(row.destinationIds) as string[],
    options: json<BackupOptions>(row.options),
    retention: json<RetentionPolicy>(row.retention),
    retry: json<RetrySettings>(row.retry),
    verify: row.verify,
    paused: row.paused,
    blackout: json<BlackoutWindow[]>(row.blackout) ?? [],
    blackoutMisfire: row.blackoutMisfire === "skip" ? "skip" : DEFAULT_BLACKOUT_MISFIRE,
    agentBlackout: json<BlackoutWindow[]>(agent.blackout) ?? [],
    agentTimezone: agent.timezone,
    fireCursor: row.fireCursor,
    lastFiredAt: row.lastFiredAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * The next `count` times the schedule runs from now, after its windows and its agent's. Walked from
 * its cursor, not from now: a firing passed inside a window the loop has not run yet runs at the
 * window's end.
 */
export function upcomingRuns(s: Schedule, now: Date, count: number): Date[] {
  const from = Math.max(now.getTime(), s.fireCursor);
  const plan = firingPlannerOf(s);
  if (!plan) return count === 1 ? [nextFiring(s.cron, s.timezone, new Date(from))].filter((d) => d !== null) : nextFirings(s.cron, s.timezone, new Date(from), count);
  return nextRunTimes(s.cron, s.timezone, plan, s.fireCursor, from, count).map((t) => new Date(t));
}

export function toView(s: Schedule, now: Date): ScheduleView {
  const next = s.paused ? null : (upcomingRuns(s, now, 1)[0] ?? null);
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
    blackout: s.blackout,
    blackoutMisfire: s.blackoutMisfire,
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
  return db
    .select({ row: t.schedules, agent: { id: t.agents.id, timezone: t.agents.timezone, blackout: t.agents.blackout } })
    .from(t.schedules)
    .innerJoin(t.datasources, eq(t.datasources.id, t.schedules.datasourceId))
    .innerJoin(t.agents, eq(t.agents.id, t.datasources.agentId));
}

/** Every schedule not deleted, oldest first; `active` keeps only those not paused. */
export async function listScheduleRecords(ctx: DbContext, opts: { active?: boolean } = {}): Promise<Schedule[]> {
  const { t } = ctx.database;
  const live = isNull(t.schedules.deletedAt);
  const rows = await selectSchedules(ctx)
    .where(opts.active ? and(live, eq(t.schedules.paused, false)) : live)
    .orderBy(asc(t.schedules.createdAt), asc(t.schedules.id));
  return rows.map((r) => toSchedule(r.row, r.agent));
}

/** The schedule, or SCHEDULE_NOT_FOUND (deleted ones too). */
export async function findSchedule(ctx: DbContext, id: string): Promise<Schedule> {
  const { t } = ctx.database;
  const row = (await selectSchedules(ctx).where(and(eq(t.schedules.id, id), isNull(t.schedules.deletedAt))).limit(1))[0];
  if (!row) throw new HoldfastError("SCHEDULE_NOT_FOUND", `No schedule ${id}`, { scheduleId: id });
  return toSchedule(row.row, row.agent);
}
