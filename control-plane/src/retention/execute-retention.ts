import { HoldfastError } from "@holdfast/shared";
import { isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { recordsName } from "../deliveries/object-name.js";
import { deleteOrKeep, newPassState, type PassState } from "./delete-or-keep.js";
import type { DestinationPlan, PlannedBackup } from "./plan-destinations.js";
import { planManualBackups, planScheduleBackups } from "./plan-destinations.js";
import { manualRetentionDaysFor, schedulesWithRetention } from "./policies.js";
import { type PeriodicPass, startPeriodicPass } from "../timers/periodic-pass.js";
import { yieldToLoop } from "../timers/yield-to-loop.js";

type RetentionContext = Pick<AppContext, "database" | "clock" | "log" | "secrets" | "env">;

export interface RetentionReport {
  /** Each backup whose objects were deleted, with the objects' names. */
  deleted: { runId: string; destinationId: string; objects: string[]; reason: string }[];
  /** Planned deletions that did not happen (a destination down, a record that does not match): tried again next time. */
  skipped: { runId: string; destinationId: string; reason: string }[];
  /**
   * Planned deletions the destination does not allow now, recorded on the delivery and not failures:
   * "locked until <date>" (S3 Object Lock) or "kept: the credentials cannot delete".
   */
  kept: { runId: string; destinationId: string; note: string }[];
}

/**
 * Deletes the objects of one planned backup and records it (deleteDelivered). Only an object
 * Holdfast recorded writing is touched: the row's recorded location must be the name the run's
 * objects are written under, and every name deleted derives from it.
 */
async function deleteBackup(ctx: RetentionContext, pass: PassState, plan: DestinationPlan, item: PlannedBackup, why: string, report: RetentionReport): Promise<void> {
  const { backup } = item;
  const skip = (reason: string): void => void report.skipped.push({ runId: backup.id, destinationId: plan.destinationId, reason });
  if (!backup.ok || backup.deliveryState !== "completed") return skip("not a completed delivery");
  if (!recordsName(backup.path, backup.objectName)) return skip(`the recorded location ${backup.path} is not ${backup.objectName}`);
  const reason = `retention: ${item.reasons.join("; ")}`;
  const outcome = await deleteOrKeep(ctx, pass, backup, reason);
  if ("kept" in outcome) return void report.kept.push({ runId: backup.id, destinationId: plan.destinationId, note: outcome.kept.note });
  const objects = outcome.deleted;
  ctx.log.info({ runId: backup.id, destinationId: plan.destinationId, objects, why }, "retention deleted a backup");
  report.deleted.push({ runId: backup.id, destinationId: plan.destinationId, objects, reason });
}

async function apply(ctx: RetentionContext, pass: PassState, plans: DestinationPlan[], pick: (item: PlannedBackup) => boolean, why: string, report: RetentionReport): Promise<void> {
  for (const plan of plans) {
    for (const item of plan.items.filter((i) => !i.keep && pick(i))) {
      try {
        await deleteBackup(ctx, pass, plan, item, why, report);
      } catch (err) {
        const reason = err instanceof HoldfastError ? `${err.code}: ${err.message}` : String(err);
        ctx.log.warn({ runId: item.backup.id, destinationId: plan.destinationId, reason }, "retention could not delete a backup; trying again next time");
        report.skipped.push({ runId: item.backup.id, destinationId: plan.destinationId, reason });
      }
    }
  }
}

/**
 * One retention pass: GFS for every schedule with a policy (its scheduled backups), then
 * `manualRetentionDays` for every datasource (its manual backups), on every live destination the
 * backups reached. The planners never plan the newest successful or newest verified backup, a
 * failed or unfinished delivery, or anything of a backup they were not given.
 */
export async function executeRetention(ctx: RetentionContext, now = ctx.clock.now()): Promise<RetentionReport> {
  const report: RetentionReport = { deleted: [], skipped: [], kept: [] };
  const pass = newPassState(now);
  for (const schedule of await schedulesWithRetention(ctx)) {
    await yieldToLoop();
    await apply(ctx, pass, await planScheduleBackups(ctx, schedule, now), (i) => !i.backup.manual, `schedule ${schedule.id}`, report);
  }
  const { db, t } = ctx.database;
  // A deleted datasource's backups are kept until deleted by hand (docs/decisions.md).
  for (const { id } of await db.select({ id: t.datasources.id }).from(t.datasources).where(isNull(t.datasources.deletedAt))) {
    await yieldToLoop();
    const days = await manualRetentionDaysFor(ctx, id, ctx.env.manualRetentionDays);
    if (days > 0) await apply(ctx, pass, await planManualBackups(ctx, id, days, now), (i) => i.backup.manual === true, `manual backups of ${id}`, report);
  }
  return report;
}

export type RetentionTimer = PeriodicPass<RetentionReport>;

/**
 * Runs `executeRetention` every HOLDFAST_RETENTION_INTERVAL_MS (0: never), the first time after at
 * most five minutes so a control plane restarted often still gets to it.
 */
export function startRetentionTimer(ctx: RetentionContext, intervalMs = ctx.env.retentionIntervalMs): RetentionTimer {
  return startPeriodicPass(ctx, {
    name: "retention pass",
    everyMs: intervalMs,
    firstAfterMs: Math.min(intervalMs, 300_000),
    pass: () => executeRetention(ctx),
    report: (r) => r.deleted.length + r.skipped.length + r.kept.length > 0 && ctx.log.info({ deleted: r.deleted.length, skipped: r.skipped.length, kept: r.kept.length }, "retention pass done"),
  });
}
