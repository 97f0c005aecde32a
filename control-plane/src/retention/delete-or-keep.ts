import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { deleteDelivered } from "../deliveries/delete-delivered.js";
import { recordDeletePermission } from "../destinations/destination-rows.js";
import type { DeliveredBackup } from "./collect-backups.js";
import { deletableAfter, deletableNow, type Kept } from "./deletable.js";

type Ctx = Pick<AppContext, "database" | "clock" | "log" | "secrets" | "env">;

/** What one retention pass learned about its destinations while it went. */
export interface PassState {
  now: Date;
  /** Destinations that refused a delete in this pass: not asked again until the next one. */
  refused: Set<string>;
  /** Destinations that deleted in this pass (their "cannot delete" mark is cleared once). */
  deleted: Set<string>;
}

export const newPassState = (now: Date): PassState => ({ now, refused: new Set(), deleted: new Set() });

export type DeleteOrKeep = { deleted: string[] } | { kept: Kept };

/** Writes why the copy stays on its delivery row (and a lock date the server gave). */
async function recordKept(ctx: Ctx, backup: DeliveredBackup, kept: Kept): Promise<void> {
  const { db, t } = ctx.database;
  const lockedUntil = kept.verdict === "locked" && kept.until ? { lockedUntil: kept.until.getTime() } : {};
  await db
    .update(t.deliveries)
    .set({ retentionNote: kept.note, ...lockedUntil })
    .where(and(eq(t.deliveries.id, backup.deliveryId), isNull(t.deliveries.deletedAt)));
}

/**
 * Deletes one copy retention planned to delete, unless it may not be deleted now (deletable.ts):
 * then the copy stays, the delivery records why ("locked until …", "kept: the credentials cannot
 * delete"), and nothing counts as a failure: no warning each night for what cannot change. A
 * destination's first refusal in a pass marks it (and the destination row, for the console); each
 * pass tries once again, so credentials given the right later are noticed. Other failures throw.
 */
export async function deleteOrKeep(ctx: Ctx, pass: PassState, backup: DeliveredBackup, reason: string): Promise<DeleteOrKeep> {
  const destinationId = backup.destinationId;
  const before = deletableNow(backup, { refusesDeletes: pass.refused.has(destinationId) }, pass.now);
  if (before.verdict !== "delete") {
    await recordKept(ctx, backup, before);
    return { kept: before };
  }
  let objects: string[];
  try {
    objects = await deleteDelivered(ctx, { deliveryId: backup.deliveryId, destinationId, objectName: backup.objectName, parts: backup.parts }, reason);
  } catch (err) {
    const after = deletableAfter(err);
    if (!after) throw err;
    if (after.verdict === "cannot-delete") {
      pass.refused.add(destinationId);
      await recordDeletePermission(ctx, destinationId, false);
      ctx.log.info({ destinationId, runId: backup.id }, "retention keeps what it would delete: the destination's credentials cannot delete");
    }
    await recordKept(ctx, backup, after);
    return { kept: after };
  }
  if (!pass.deleted.has(destinationId)) {
    pass.deleted.add(destinationId);
    await recordDeletePermission(ctx, destinationId, true);
  }
  return { deleted: objects };
}
