import { and, eq, isNull, like } from "drizzle-orm";
import { type GoodBackup, lastGoodBackups } from "../artifacts/good-backup.js";
import type { AppContext } from "../context.js";
import { type ActiveSchedule, activeScheduleColumns, backupFreshness } from "../stats/freshness.js";
import { closeCondition, notify } from "./notify.js";
import { type PeriodicPass, startPeriodicPass } from "../timers/periodic-pass.js";
import { forEachBatch } from "../timers/yield-to-loop.js";

type WatchContext = Pick<AppContext, "database" | "clock" | "log" | "notifications" | "link">;

/** `runNow()`: one pass now (or the one under way), what it raised and what recovered. */
export type RpoWatch = PeriodicPass<RpoReport>;

export interface RpoReport {
  /** Datasources past their allowance in this pass (an alert already open is collapsed, not re-sent). */
  missed: string[];
  /** Datasources whose open "backup missed" closed because a good backup landed (or no schedule is left). */
  recovered: string[];
}

const PREFIX = "missed:";
/** Datasources judged per turn of the event loop: one lastGoodBackups statement each, tens of ms on SQLite at most. */
export const RPO_BATCH = 100;
const conditionKey = (datasourceId: string) => `${PREFIX}${datasourceId}`;

interface WatchedSchedule extends ActiveSchedule {
  datasourceId: string;
  paused: boolean;
}

/**
 * The schedules a datasource's backups are held to: its active ones; when all are paused, the paused
 * ones, because pausing the only schedule by hand stops every backup and must not stay quiet (deleting
 * the schedule is how to say no backups are wanted any more).
 */
function heldTo(schedules: readonly WatchedSchedule[]): { schedules: WatchedSchedule[]; paused: boolean } {
  const active = schedules.filter((s) => !s.paused);
  return active.length > 0 ? { schedules: active, paused: false } : { schedules: [...schedules], paused: schedules.length > 0 };
}

interface WatchedDatasource {
  id: string;
  name: string;
  agentId: string;
  maxDurationMinutes: number;
}

/** One datasource's verdict: raises "backup missed" once while overdue (later by the grace), closes it when on time again. */
async function judge(ctx: WatchContext, ds: WatchedDatasource, held: ReturnType<typeof heldTo>, good: GoodBackup | undefined, wasOpen: boolean, asOf: number, report: RpoReport): Promise<void> {
  // Overdue `graceMs` ago is overdue by more than the grace now: the one computation the dashboard shows.
  const { dueAt, overdue } = backupFreshness(good?.askedAt ?? null, held.schedules, ds.maxDurationMinutes * 60_000, asOf);
  if (overdue && dueAt !== null) {
    report.missed.push(ds.id);
    if (wasOpen) return;
    const last = good ? `Its last good backup is run ${good.id}, finished ${good.finishedAt.toISOString()}` : "It has no good backup yet";
    const why = held.paused ? " Its schedule is paused." : !ctx.link.isOnline(ds.agentId) ? ` Its agent ${ds.agentId} is offline.` : "";
    await notify(ctx, {
      kind: "backup.missed",
      subject: { datasourceId: ds.id },
      conditionKey: conditionKey(ds.id),
      title: `No backup of ${ds.name} since it was due`,
      text: `A backup of ${ds.name} was due at ${new Date(dueAt).toISOString()} and none completed and reached a destination in time. ${last}.${why} This is not repeated until a good backup lands.`,
    });
  } else if (wasOpen) {
    report.recovered.push(ds.id);
    if (good && held.schedules.length > 0) {
      await notify(ctx, {
        kind: "backup.onTime",
        subject: { datasourceId: ds.id, runId: good.id },
        conditionKey: conditionKey(ds.id),
        title: `Backups of ${ds.name} are on time again`,
        text: `Run ${good.id} of ${ds.name} completed and is stored (finished ${good.finishedAt.toISOString()}).`,
      });
    } else {
      await closeCondition(ctx, conditionKey(ds.id)); // its schedules were deleted: nothing is expected any more
    }
  }
}

/**
 * One pass of the RPO watch: every live datasource with a schedule whose last good backup
 * (good-backup.ts) is overdue by stats/freshness.ts, later by `graceMs`, raises "backup missed",
 * whatever kept the backup away (agent offline, schedule paused, failures, firings missed); notify()
 * collapses it while the condition is open. An open one whose datasource is on time again sends
 * "backups on time again".
 */
export async function checkBackupsMissed(ctx: WatchContext, graceMs: number): Promise<RpoReport> {
  const now = ctx.clock.now().getTime();
  const { db, t } = ctx.database;
  const datasources: WatchedDatasource[] = await db
    .select({ id: t.datasources.id, name: t.datasources.name, agentId: t.datasources.agentId, maxDurationMinutes: t.datasources.maxDurationMinutes })
    .from(t.datasources)
    .where(isNull(t.datasources.deletedAt));
  const schedules: WatchedSchedule[] = await db
    .select({ datasourceId: t.schedules.datasourceId, ...activeScheduleColumns(t), paused: t.schedules.paused })
    .from(t.schedules)
    .innerJoin(t.datasources, eq(t.datasources.id, t.schedules.datasourceId))
    .innerJoin(t.agents, eq(t.agents.id, t.datasources.agentId))
    .where(isNull(t.schedules.deletedAt));
  const open = new Set(
    (await db.select({ key: t.notificationConditions.conditionKey }).from(t.notificationConditions).where(and(like(t.notificationConditions.conditionKey, `${PREFIX}%`), isNull(t.notificationConditions.closedAt)))).map((r) => r.key),
  );
  const schedulesOf = new Map<string, WatchedSchedule[]>();
  for (const s of schedules) {
    const list = schedulesOf.get(s.datasourceId);
    if (list) list.push(s);
    else schedulesOf.set(s.datasourceId, [s]);
  }
  const report: RpoReport = { missed: [], recovered: [] };
  // A batch of datasources per turn of the event loop (timers/yield-to-loop.ts): at 2,000 the pass is seconds of reads.
  await forEachBatch(datasources, RPO_BATCH, async (batch) => {
    const lastGood = await lastGoodBackups(ctx, batch.map((ds) => ds.id));
    for (const ds of batch) await judge(ctx, ds, heldTo(schedulesOf.get(ds.id) ?? []), lastGood.get(ds.id), open.delete(conditionKey(ds.id)), now - graceMs, report);
  });
  // What is left open belongs to deleted datasources: it ends with them, silently.
  for (const key of open) await closeCondition(ctx, key);
  return report;
}

/** The RPO watch on an interval of the context's clock (0: never, but runNow still works). */
export function startRpoWatch(ctx: WatchContext, opts: { everyMs: number; graceMs: number }): RpoWatch {
  return startPeriodicPass(ctx, { name: "RPO watch pass", everyMs: opts.everyMs, pass: () => checkBackupsMissed(ctx, opts.graceMs) });
}
