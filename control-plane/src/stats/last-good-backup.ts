import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { backupFreshness } from "./freshness.js";

/** One datasource's last good backup and whether a newer one is overdue (StatsView's `lastGoodBackup`). */
export interface LastGoodBackup {
  datasourceId: string;
  datasourceName: string;
  runId: string | null;
  finishedAt: string | null;
  activeSchedules: number;
  dueAt: string | null;
  overdue: boolean;
}

/**
 * Per live datasource, by name: its newest completed backup that reached at least one destination
 * and is still there, and its freshness (stats/freshness.ts). The one definition of "last good
 * backup" that the dashboard's stats and the `/metrics` age gauge both read.
 */
export async function lastGoodBackups(ctx: DbContext, now: number): Promise<LastGoodBackup[]> {
  const { db, t } = ctx.database;
  const lastGoodBackup: LastGoodBackup[] = [];
  const activeSchedules = await db
    .select({ datasourceId: t.schedules.datasourceId, cron: t.schedules.cron, timezone: t.schedules.timezone, createdAt: t.schedules.createdAt })
    .from(t.schedules)
    .where(and(isNull(t.schedules.deletedAt), eq(t.schedules.paused, false)));
  const datasources = await db
    .select({ id: t.datasources.id, name: t.datasources.name, maxDurationMinutes: t.datasources.maxDurationMinutes })
    .from(t.datasources)
    .where(isNull(t.datasources.deletedAt))
    .orderBy(t.datasources.name);
  for (const ds of datasources) {
    const good = await db
      .select({ id: t.runs.id, finishedAt: t.runs.finishedAt, askedAt: sql<number | string>`coalesce(${t.runs.fireTime}, ${t.runs.createdAt})` })
      .from(t.runs)
      .innerJoin(t.deliveries, eq(t.deliveries.runId, t.runs.id))
      .where(and(eq(t.runs.datasourceId, ds.id), eq(t.runs.kind, "backup"), eq(t.runs.state, "completed"), eq(t.deliveries.state, "completed"), isNull(t.deliveries.deletedAt)))
      .orderBy(desc(t.runs.finishedAt), desc(t.runs.id))
      .limit(1);
    const g = good[0];
    const schedules = activeSchedules.filter((s) => s.datasourceId === ds.id);
    const { dueAt, overdue } = backupFreshness(g ? Number(g.askedAt) : null, schedules, ds.maxDurationMinutes * 60_000, now);
    lastGoodBackup.push({
      datasourceId: ds.id,
      datasourceName: ds.name,
      runId: g?.id ?? null,
      finishedAt: g?.finishedAt ? new Date(g.finishedAt).toISOString() : null,
      activeSchedules: schedules.length,
      dueAt: dueAt === null ? null : new Date(dueAt).toISOString(),
      overdue,
    });
  }
  return lastGoodBackup;
}
