import type { StatsQuery } from "@holdfast/shared";
import { and, eq, gte, isNull, sql } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { dailySeries, type DayFigures, type DayStateGroup, successRate, type SuccessRate } from "./figures.js";
import { type LastGoodBackup, lastGoodBackups } from "./last-good-backup.js";

const DAY_MS = 86_400_000;

export interface StatsView {
  generatedAt: string;
  /** Backups created in the last 7 and 30 days: completed against failed + missed (cancelled, expired and unfinished ones aside). */
  successRate: { days7: SuccessRate; days30: SuccessRate };
  /**
   * Per datasource, its newest completed backup that reached at least one destination and is still
   * there; `dueAt`, the first firing of an active schedule after it (null without one); `overdue`,
   * whether that firing is past by more than its grace (stats/freshness.ts) with no newer good backup.
   */
  lastGoodBackup: LastGoodBackup[];
  /** One entry per UTC day of the last `days`, oldest first. */
  series: DayFigures[];
  /** Per live destination, the bytes of the backups Holdfast delivered there and retention has not deleted. */
  storage: { destinationId: string; name: string; type: string; bytes: number; backups: number; maxSizeGb: number | null }[];
}

/** `GET /api/v1/stats`: the figures a dashboard shows. */
export async function getStats(ctx: DbContext, { days }: StatsQuery): Promise<StatsView> {
  const now = ctx.clock.now().getTime();
  const { db, t } = ctx.database;
  const groups = await dayStateGroups(ctx, now, Math.max(days, 30));
  const lastGoodBackup = await lastGoodBackups(ctx, now);

  const used = await db
    .select({ destinationId: t.deliveries.destinationId, bytes: sql<string | number | null>`sum(${t.deliveries.bytes})`, backups: sql<string | number>`count(*)` })
    .from(t.deliveries)
    .where(and(eq(t.deliveries.state, "completed"), isNull(t.deliveries.deletedAt)))
    .groupBy(t.deliveries.destinationId);
  const destinations = await db.select().from(t.destinations).where(isNull(t.destinations.deletedAt)).orderBy(t.destinations.name);
  const storage = destinations.map((d) => {
    const u = used.find((x) => x.destinationId === d.id);
    return { destinationId: d.id, name: d.name, type: d.type, bytes: Number(u?.bytes ?? 0), backups: Number(u?.backups ?? 0), maxSizeGb: d.maxSizeGb ?? null };
  });

  return {
    generatedAt: new Date(now).toISOString(),
    successRate: { days7: successRate(groups, "in7"), days30: successRate(groups, "in30") },
    lastGoodBackup,
    series: dailySeries(groups, now, days),
    storage,
  };
}

/**
 * The backups created in the last `windowDays`, counted by the database per UTC day and state (and
 * whether inside 7 and 30 days): one range of runs_kind_created_at_idx, a few hundred groups back.
 * The bounds are inlined integers, not parameters, so that PostgreSQL sees the grouped expressions
 * in SELECT and GROUP BY as the same ones.
 */
export async function dayStateGroups(ctx: DbContext, now: number, windowDays: number): Promise<DayStateGroup[]> {
  const { db, t } = ctx.database;
  const r = t.runs;
  const int = (n: number) => sql.raw(String(Math.trunc(n)));
  const day = sql<number>`${r.createdAt} / ${int(DAY_MS)}`;
  const in7 = sql<number>`case when ${r.createdAt} >= ${int(now - 7 * DAY_MS)} then 1 else 0 end`;
  const in30 = sql<number>`case when ${r.createdAt} >= ${int(now - 30 * DAY_MS)} then 1 else 0 end`;
  const duration = sql`case when ${r.startedAt} is not null and ${r.finishedAt} is not null then ${r.finishedAt} - ${r.startedAt} end`;
  const rows = await db
    .select({
      day,
      state: r.state,
      in7,
      in30,
      runs: sql<string | number>`count(*)`,
      bytes: sql<string | number | null>`sum(${r.sizeBytes})`,
      timed: sql<string | number>`count(${duration})`,
      durationSum: sql<string | number | null>`sum(${duration})`,
      durationMax: sql<string | number | null>`max(${duration})`,
    })
    .from(r)
    .where(and(eq(r.kind, "backup"), gte(r.createdAt, now - windowDays * DAY_MS)))
    .groupBy(day, r.state, in7, in30);
  const num = (v: string | number | null) => (v === null ? 0 : Number(v));
  return rows.map((g) => ({
    day: Number(g.day),
    state: g.state,
    in7: Number(g.in7) === 1,
    in30: Number(g.in30) === 1,
    runs: num(g.runs),
    bytes: num(g.bytes),
    timed: num(g.timed),
    durationSumMs: num(g.durationSum),
    durationMaxMs: g.durationMax === null ? null : Number(g.durationMax),
  }));
}
