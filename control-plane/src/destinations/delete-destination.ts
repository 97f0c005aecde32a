import { HoldfastError } from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import type { DestinationContext } from "./create-destination.js";

/**
 * Retires a destination: it disappears from the API and takes no new deliveries, its credentials are
 * wiped, and the row stays so past deliveries keep their reference. The objects already written
 * there are left alone: deleting backups is retention's job, never a side effect.
 */
export async function deleteDestination(ctx: DestinationContext, id: string): Promise<void> {
  const { db, t } = ctx.database;
  const gone = await db
    .update(t.destinations)
    .set({ deletedAt: ctx.clock.now().getTime(), secrets: null, isDefault: false })
    .where(and(eq(t.destinations.id, id), isNull(t.destinations.deletedAt)))
    .returning({ id: t.destinations.id });
  if (gone.length === 0) throw new HoldfastError("DESTINATION_NOT_FOUND", `No destination ${id}`, { destinationIds: [id] });
}
