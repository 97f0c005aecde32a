import { and, eq, inArray, isNull, like } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { openStoredDestination } from "../destinations/open-destination.js";
import { type CopyVerdict, verifyStoredCopy } from "../deliveries/verify-stored-copy.js";
import { metrics } from "../metrics/process-series.js";
import { closeCondition, notify } from "../notifications/notify.js";
import { type DueCopy, dueCopies, type ScrubCycles } from "./due-copies.js";

export type ScrubContext = Pick<AppContext, "database" | "clock" | "log" | "notifications" | "secrets" | "env">;

/** What one pass may do (env.scrub). */
export interface ScrubLimits extends ScrubCycles {
  maxCopies: number;
  maxBytes: number;
}

export interface ScrubFinding {
  deliveryId: string;
  destinationId: string;
  runId: string;
  depth: DueCopy["depth"];
  verdict: CopyVerdict["verdict"];
  detail: string | null;
}

export interface ScrubReport {
  /** Every copy checked in this pass, in the order checked. */
  checked: ScrubFinding[];
  /** Copies marked missing or altered in this pass (newly, or again with another damage). */
  damaged: string[];
  /** Marked copies found whole again: their mark was cleared. */
  restored: string[];
  /** Copies still owed a check when the pass stopped at its limits: the next pass starts with them. */
  left: number;
}

const PREFIX = "damaged:";
const conditionKey = (deliveryId: string) => `${PREFIX}${deliveryId}`;

/**
 * Closes, silently, the open "damaged" alerts of copies Holdfast no longer holds (deleted by
 * retention or by hand, or their run pruned): nothing is left to put back, so nothing will recover them.
 */
async function closeGoneConditions(ctx: ScrubContext): Promise<void> {
  const { db, t } = ctx.database;
  const open = (await db.select({ key: t.notificationConditions.conditionKey }).from(t.notificationConditions).where(like(t.notificationConditions.conditionKey, `${PREFIX}%`))).map((r) => r.key.slice(PREFIX.length));
  if (open.length === 0) return;
  const held = new Set((await db.select({ id: t.deliveries.id }).from(t.deliveries).where(and(inArray(t.deliveries.id, open), isNull(t.deliveries.deletedAt)))).map((r) => r.id));
  for (const id of open) if (!held.has(id)) await closeCondition(ctx, conditionKey(id));
}

/**
 * One scrub pass: the owed copies (due-copies.ts), oldest first, each through verifyStoredCopy, the
 * function `POST /runs/:id/validate` uses, until `maxCopies` are checked or a re-read would pass
 * `maxBytes` (the first re-read of a pass always runs, so a copy larger than the budget is still
 * checked). A checked copy's timestamps move, so the next pass resumes with what this one left.
 * Missing or altered marks the delivery (it stops making its backup good: artifacts/good-backup.ts)
 * and alerts once per copy; a marked copy found whole again is unmarked and its alert closed. An
 * unreachable destination marks nothing (its probe alerts) and its other copies wait for the next pass.
 */
export async function scrubPass(ctx: ScrubContext, limits: ScrubLimits): Promise<ScrubReport> {
  const now = ctx.clock.now().getTime();
  await closeGoneConditions(ctx);
  const due = await dueCopies(ctx, limits, now);
  const report: ScrubReport = { checked: [], damaged: [], restored: [], left: 0 };
  const unreachable = new Set<string>();
  let bytes = 0;
  let i = 0;
  for (; i < due.length && report.checked.length < limits.maxCopies; i++) {
    const copy = due[i]!;
    if (unreachable.has(copy.destinationId)) continue;
    const cost = copy.depth === "full" ? copy.recorded.sizeBytes : 0;
    if (cost > 0 && bytes > 0 && bytes + cost > limits.maxBytes) break;
    bytes += cost;
    const found = await check(ctx, copy);
    metrics.scrubFindings.inc({ verdict: found.verdict });
    report.checked.push({ deliveryId: copy.deliveryId, destinationId: copy.destinationId, runId: copy.recorded.runId, depth: copy.depth, verdict: found.verdict, detail: found.detail });
    await record(ctx, copy, found, report);
    if (found.verdict === "unreachable") unreachable.add(copy.destinationId);
  }
  report.left = due.length - report.checked.length;
  if (report.checked.length > 0) ctx.log.info({ checked: report.checked.length, damaged: report.damaged.length, restored: report.restored.length, left: report.left }, "scrub pass done");
  return report;
}

async function check(ctx: ScrubContext, copy: DueCopy): Promise<CopyVerdict> {
  return openStoredDestination(ctx, copy.destinationId).then(
    (destination) => verifyStoredCopy(destination, copy.objectName, copy.recorded, copy.depth),
    (err: unknown) => ({ verdict: "unreachable" as const, checked: copy.depth === "full" ? ("sha256" as const) : ("size" as const), bytesRead: 0, detail: (err as Error).message, errorCode: (err as { code?: string }).code ?? null }),
  );
}

async function record(ctx: ScrubContext, copy: DueCopy, found: CopyVerdict, report: ScrubReport): Promise<void> {
  const now = ctx.clock.now().getTime();
  const { db, t } = ctx.database;
  const at = { scrubbedAt: now, ...(copy.depth === "full" && found.verdict !== "unreachable" ? { hashedAt: now } : {}) };
  const where = eq(t.deliveries.id, copy.deliveryId);
  const about = { deliveryId: copy.deliveryId, runId: copy.recorded.runId, destination: copy.destinationName, object: copy.objectName, depth: copy.depth, detail: found.detail };
  switch (found.verdict) {
    case "ok":
      if (copy.damagedAt !== null) {
        await db.update(t.deliveries).set({ ...at, damagedAt: null, damage: null }).where(where);
        await closeCondition(ctx, conditionKey(copy.deliveryId)).catch((err: unknown) => ctx.log.error({ err, deliveryId: copy.deliveryId }, "could not close a damaged-copy condition"));
        report.restored.push(copy.deliveryId);
        ctx.log.info(about, "scrub: a copy found damaged before is whole again; its mark is cleared");
      } else {
        await db.update(t.deliveries).set(at).where(where);
      }
      return;
    case "unreachable":
      // The destination's probe alerts about reachability; the copy's state is unknown, not damaged.
      await db.update(t.deliveries).set(at).where(where);
      ctx.log.warn({ ...about, errorCode: found.errorCode }, "scrub: could not reach a stored copy");
      return;
    case "missing":
    case "altered": {
      // The first finding's time stays: it is when the copy stopped being trustworthy.
      await db.update(t.deliveries).set({ ...at, damagedAt: copy.damagedAt ?? now, damage: found.verdict }).where(where);
      report.damaged.push(copy.deliveryId);
      ctx.log.warn(about, `scrub: a stored copy is ${found.verdict}`);
      await notify(ctx, {
        kind: "artifact.damaged",
        subject: { datasourceId: copy.datasourceId, runId: copy.recorded.runId, destinationId: copy.destinationId },
        conditionKey: conditionKey(copy.deliveryId),
        title: `A stored backup is ${found.verdict} on ${copy.destinationName}`,
        text: `The copy of run ${copy.recorded.runId} on ${copy.destinationName} (${copy.objectName}) is ${found.verdict}: ${found.detail ?? ""}. It no longer counts as a good backup. This is not repeated unless the copy is found whole again and then damaged.`,
      });
    }
  }
}
