import { HoldfastError } from "@holdfast/shared";
import { and, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import { exists, spooledPath } from "../artifacts/spool.js";
import type { AppContext } from "../context.js";
import { getRun, getRunRow, type RunRow, type RunView } from "./get-run.js";

type HoldContext = Pick<AppContext, "database" | "clock" | "env" | "log">;

function notHoldable(run: RunRow, field: "kind" | "state" | "copies", message: string): HoldfastError {
  return new HoldfastError("RUN_NOT_HOLDABLE", message, { runId: run.id, field, kind: run.kind, state: run.state });
}

/**
 * A completed backup with something left to keep: a delivery not deleted that is written or still
 * being written (a hold set right after the backup covers the copies on their way), or the spool
 * copy. Failed deliveries left nothing (attempt-delivery removes what they half wrote).
 */
async function assertHoldable(ctx: HoldContext, run: RunRow): Promise<void> {
  if (run.kind !== "backup") throw notHoldable(run, "kind", `Run ${run.id} is a ${run.kind} run: only a backup can be held`);
  if (run.state !== "completed") throw notHoldable(run, "state", `Backup run ${run.id} is ${run.state}: only a completed backup can be held`);
  const { db, t } = ctx.database;
  const copies = await db
    .select({ id: t.deliveries.id })
    .from(t.deliveries)
    .innerJoin(t.destinations, eq(t.destinations.id, t.deliveries.destinationId))
    .where(and(eq(t.deliveries.runId, run.id), isNull(t.deliveries.deletedAt), isNull(t.destinations.deletedAt), inArray(t.deliveries.state, ["pending", "running", "completed"])))
    .limit(1);
  if (copies.length === 0 && !(await exists(spooledPath(ctx.env.spoolDir, run.id)))) {
    throw notHoldable(run, "copies", `Backup run ${run.id} has no copy left to hold: every copy was deleted or never delivered (GET /api/v1/runs/${run.id}/deliveries)`);
  }
}

/**
 * `POST /api/v1/runs/:runId/hold`: sets a legal hold (who, when, why) on a completed backup. While it
 * is set, retention keeps every copy (retention/protected.ts) and no deletion removes one
 * (deliveries/delete-delivered.ts). Holding a held run replaces who, when and why in one statement:
 * never unheld in between. Answers the run as GET shows it.
 */
export async function holdRun(ctx: HoldContext, input: { runId: string; reason: string; heldBy: string }): Promise<RunView> {
  const run = await getRunRow(ctx, input.runId);
  await assertHoldable(ctx, run);
  const { db, t } = ctx.database;
  await db
    .update(t.runs)
    .set({ heldAt: ctx.clock.now().getTime(), heldBy: input.heldBy, holdReason: input.reason })
    .where(eq(t.runs.id, run.id));
  // The reason stays on the run, out of the log, as the audit log keeps values out too.
  ctx.log.info({ runId: run.id, heldBy: input.heldBy, replaced: run.heldAt !== null }, "backup held");
  return getRun(ctx, run.id);
}

/**
 * `DELETE /api/v1/runs/:runId/hold`: lifts the hold; the next retention pass treats the backup like
 * any other. RUN_NOT_HELD when there is none (read the run before acting).
 */
export async function releaseRun(ctx: HoldContext, input: { runId: string; releasedBy: string }): Promise<RunView> {
  const { db, t } = ctx.database;
  const released = await db
    .update(t.runs)
    .set({ heldAt: null, heldBy: null, holdReason: null })
    .where(and(eq(t.runs.id, input.runId), isNotNull(t.runs.heldAt)))
    .returning({ heldBy: t.runs.heldBy });
  if (!released[0]) {
    const run = await getRunRow(ctx, input.runId);
    throw new HoldfastError("RUN_NOT_HELD", `Run ${run.id} is not held: there is no hold to release`, { runId: run.id });
  }
  ctx.log.info({ runId: input.runId, releasedBy: input.releasedBy, heldBy: released[0].heldBy }, "backup hold released");
  return getRun(ctx, input.runId);
}
