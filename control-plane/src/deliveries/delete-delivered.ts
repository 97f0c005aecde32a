import { type ArtifactPart, type DestinationType, HoldfastError } from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { findDestinationRow, fullConfig } from "../destinations/destination-rows.js";
import { openDestination } from "../destinations/open-destination.js";
import { objectsOf, sidecarName } from "./object-name.js";

export interface DeliveredObjects {
  deliveryId: string;
  destinationId: string;
  /** The name the run's objects are written under: every name deleted derives from it. */
  objectName: string;
  parts: readonly Pick<ArtifactPart, "index">[] | undefined;
}

/**
 * Deletes what one completed delivery wrote, the sidecar first (so a half-deleted backup never looks
 * restorable), then its parts or artifact, and records the deletion and its reason on the delivery
 * row once the objects are gone. A destination that fails midway leaves the row live, so deleting
 * again finishes the job (deleting a missing object is no error). Answers the names deleted.
 * A held backup is refused here, the one place every deletion passes (BACKUP_HELD).
 */
export async function deleteDelivered(ctx: Pick<AppContext, "database" | "clock" | "secrets" | "env">, d: DeliveredObjects, reason: string): Promise<string[]> {
  await assertNotHeld(ctx, d.deliveryId);
  const row = await findDestinationRow(ctx, d.destinationId);
  const destination = openDestination(row.type as DestinationType, fullConfig(ctx.secrets, row), ctx.env);
  const sidecar = sidecarName(d.objectName);
  const objects = [sidecar, ...objectsOf(d.objectName, d.parts).filter((n) => n !== sidecar)];
  for (const name of objects) await destination.delete(name);
  const { db, t } = ctx.database;
  const now = ctx.clock.now().getTime();
  await db
    .update(t.deliveries)
    .set({ deletedAt: now, deletionReason: reason, updatedAt: now })
    .where(and(eq(t.deliveries.id, d.deliveryId), isNull(t.deliveries.deletedAt)));
  return objects;
}

/**
 * Read again just before the objects go: a hold set after a retention pass planned (or after a
 * deletion by hand checked) still stops it. The window left is the destination's own deletes.
 */
async function assertNotHeld(ctx: Pick<AppContext, "database">, deliveryId: string): Promise<void> {
  const { db, t } = ctx.database;
  const run = (
    await db
      .select({ id: t.runs.id, heldAt: t.runs.heldAt, heldBy: t.runs.heldBy, reason: t.runs.holdReason })
      .from(t.deliveries)
      .innerJoin(t.runs, eq(t.runs.id, t.deliveries.runId))
      .where(eq(t.deliveries.id, deliveryId))
      .limit(1)
  )[0];
  if (run && run.heldAt !== null) throw heldError(run.id, { heldAt: run.heldAt, heldBy: run.heldBy, reason: run.reason });
}

/** BACKUP_HELD for a run under a legal hold, saying who held it, when and why. */
export function heldError(runId: string, hold: { heldAt: number; heldBy: string | null; reason: string | null }): HoldfastError {
  const at = new Date(hold.heldAt).toISOString();
  return new HoldfastError("BACKUP_HELD", `Backup run ${runId} is held (by ${hold.heldBy ?? "an admin"} since ${at}: ${hold.reason ?? ""}): release the hold before deleting it`, {
    runId,
    hold: { heldAt: at, heldBy: hold.heldBy, reason: hold.reason },
  });
}
