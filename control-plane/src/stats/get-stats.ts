import type { StatsQuery } from "@holdfast/shared";
import { and, eq, gte, isNull, sql } from "drizzle-orm";
import { lastGoodBackups } from "../artifacts/good-backup.js";
import type { DbContext } from "../context.js";
import { dailySeries, type DayFigures, successRate, type SuccessRate, type WindowRun } from "./figures.js";
import { backupFreshness } from "./freshness.js";

const DAY_MS = 86_400_000;

export interface StatsView {
  generatedAt: string;
  /** Backups created in the last 7 and 30 days: completed against failed + missed (cancelled, expired and unfinished ones aside). */
  successRate: { days7: SuccessRate; days30: SuccessRate };
  /**
   * Per datasource, its newest good backup (artifacts/good-backup.ts: completed, with a live copy no
   * scrub found missing or altered); `dueAt`, the first firing of an active schedule after it (null without one); `overdue`,
   * whether that firing is past by more than its grace (stats/freshness.ts) with no newer good backup.
   */
  lastGoodBackup: {
    datasourceId: string;
    datasourceName: string;
    runId: string | null;
    finishedAt: string | null;
    activeSchedules: number;
    dueAt: string | null;
    overdue: boolean;
  }[];
  /** One entry per UTC day of the last `days`, oldest first. */
  series: DayFigures[];
  /** Per live destination, the bytes of the backups Holdfast delivered there and retention has not deleted. */
  storage: { destinationId: string; name: string; type: string; bytes: number; backups: number; maxSizeGb: number | null }[];
}

/** `GET /api/v1/stats`: the figures a dashboard shows. */
export async function getStats(ctx: DbContext, { days }: StatsQuery): Promise<StatsView> {
  const now = ctx.clock.now().getTime();
  const { db, t } = ctx.database;
  const since = now - Math.max(days, 30) * DAY_MS;
  const runs: WindowRun[] = await db
    .select({ createdAt: t.runs.createdAt, state: t.runs.state, sizeBytes: t.runs.sizeBytes, startedAt: t.runs.startedAt, finishedAt: t.runs.finishedAt })
    .from(t.runs)
    .where(and(eq(t.runs.kind, "backup"), gte(t.runs.createdAt, since)));

  const lastGoodBackup: StatsView["lastGoodBackup"] = [];
  const activeSchedules = await db
    .select({ datasourceId: t.schedules.datasourceId, cron: t.schedules.cron, timezone: t.schedules.timezone, createdAt: t.schedules.createdAt })
    .from(t.schedules)
    .where(and(isNull(t.schedules.deletedAt), eq(t.schedules.paused, false)));
  const datasources = await db
    .select({ id: t.datasources.id, name: t.datasources.name, maxDurationMinutes: t.datasources.maxDurationMinutes })
    .from(t.datasources)
    .where(isNull(t.datasources.deletedAt))
    .orderBy(t.datasources.name);
  const lastGood = await lastGoodBackups(ctx, datasources.map((ds) => ds.id));
  for (const ds of datasources) {
    const g = lastGood.get(ds.id);
    const schedules = activeSchedules.filter((s) => s.datasourceId === ds.id);
    const { dueAt, overdue } = backupFreshness(g ? g.askedAt : null, schedules, ds.maxDurationMinutes * 60_000, now);
    lastGoodBackup.push({
      datasourceId: ds.id,
      datasourceName: ds.name,
      runId: g?.id ?? null,
      finishedAt: g ? g.finishedAt.toISOString() : null,
      activeSchedules: schedules.length,
      dueAt: dueAt === null ? null : new Date(dueAt).toISOString(),
      overdue,
    });
  }

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
    successRate: { days7: successRate(runs, now - 7 * DAY_MS), days30: successRate(runs, now - 30 * DAY_MS) },
    lastGoodBackup,
    series: dailySeries(runs, now, days),
    storage,
  };
}
