import { and, eq, isNull } from "drizzle-orm";
import { lastGoodBackups as newestGoodBackups } from "../artifacts/good-backup.js";
import type { DbContext } from "../context.js";
import { activeScheduleColumns, backupFreshness } from "./freshness.js";

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
 * Per live datasource, by name: its newest good backup (artifacts/good-backup.ts: completed, with a
 * live copy no scrub found missing or altered) and its freshness (stats/freshness.ts), for the
 * dashboard's stats and the `/metrics` age gauge.
 */
export async function lastGoodBackups(ctx: DbContext, now: number): Promise<LastGoodBackup[]> {
  const { db, t } = ctx.database;
  const lastGoodBackup: LastGoodBackup[] = [];
  const activeSchedules = await db
    .select({ datasourceId: t.schedules.datasourceId, ...activeScheduleColumns(t) })
    .from(t.schedules)
    .innerJoin(t.datasources, eq(t.datasources.id, t.schedules.datasourceId))
    .innerJoin(t.agents, eq(t.agents.id, t.datasources.agentId))
    .where(and(isNull(t.schedules.deletedAt), eq(t.schedules.paused, false)));
  const datasources = await db
    .select({ id: t.datasources.id, name: t.datasources.name, maxDurationMinutes: t.datasources.maxDurationMinutes })
    .from(t.datasources)
    .where(isNull(t.datasources.deletedAt))
    .orderBy(t.datasources.name);
  const newest = await newestGoodBackups(ctx, datasources.map((ds) => ds.id));
  const schedulesOf = new Map<string, typeof activeSchedules>();
  for (const s of activeSchedules) schedulesOf.set(s.datasourceId, [...(schedulesOf.get(s.datasourceId) ?? []), s]);
  for (const ds of datasources) {
    const g = newest.get(ds.id);
    const schedules = schedulesOf.get(ds.id) ?? [];
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
  return lastGoodBackup;
}
