import { type CopyRunAnswer, HoldfastError, newId } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { findDestinationRow } from "../destinations/destination-rows.js";
import { backupCopies, isLiveCopy, noCopyLeft } from "./backup-copies.js";
import { exists, spooledPath } from "./spool.js";

type CopyContext = Pick<AppContext, "database" | "clock" | "env" | "deliveries">;

/**
 * Records a new delivery (pending) of a completed backup to another destination and wakes the
 * delivery worker, which carries it out like any other (its tries, its backoff, the sidecar last),
 * reading from the spool or, once that copy is gone, from a destination holding a live copy. The
 * run must have a copy left to read, and the destination none yet (live, or being written).
 */
export async function copyRun(ctx: CopyContext, runId: string, destinationId: string): Promise<CopyRunAnswer> {
  const b = await backupCopies(ctx, runId);
  const target = await findDestinationRow(ctx, destinationId);
  const there = b.copies.filter((c) => c.destinationId === target.id);
  if (there.some((c) => isLiveCopy(c, b.objectName))) {
    throw new HoldfastError("ALREADY_EXISTS", `Destination "${target.name}" already holds backup run ${runId}`, { runId, destinationId });
  }
  if (there.some((c) => c.state === "pending" || c.state === "running")) {
    throw new HoldfastError("ALREADY_EXISTS", `Backup run ${runId} is already being delivered to "${target.name}" (GET /api/v1/runs/${runId}/deliveries)`, { runId, destinationId });
  }
  const spooled = await exists(spooledPath(ctx.env.spoolDir, runId));
  if (!spooled && !b.copies.some((c) => isLiveCopy(c, b.objectName))) throw noCopyLeft(b);

  const id = newId("dlv");
  const { db, t } = ctx.database;
  await db.insert(t.deliveries).values({ id, runId, destinationId: target.id, state: "pending", attempts: 0, updatedAt: ctx.clock.now().getTime() });
  ctx.deliveries?.kick();
  return { runId, deliveryId: id, destinationId: target.id };
}
