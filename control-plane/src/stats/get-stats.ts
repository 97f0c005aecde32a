import type { StatsQuery } from "@holdfast/shared";
import { isNull } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { dayStateGroups } from "./day-groups.js";
import { dailySeries, type DayFigures, successRate, type SuccessRate } from "./figures.js";
import { type LastGoodBackup, lastGoodBackups } from "./last-good-backup.js";

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

  // destination_usage is kept by triggers on deliveries (db/schema/sqlite/catalogue.ts): summing the
  // live copies instead read ~400,000 index entries at a million runs.
  const used = new Map((await db.select().from(t.destinationUsage)).map((u) => [u.destinationId, u]));
  const destinations = await db.select().from(t.destinations).where(isNull(t.destinations.deletedAt)).orderBy(t.destinations.name);
  const storage = destinations.map((d) => {
    const u = used.get(d.id);
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
