import type { ArtifactPart, DestinationType } from "@holdfast/shared";
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
 */
export async function deleteDelivered(ctx: Pick<AppContext, "database" | "clock" | "secrets" | "env">, d: DeliveredObjects, reason: string): Promise<string[]> {
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
