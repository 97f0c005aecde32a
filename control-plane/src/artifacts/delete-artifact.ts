import { rm } from "node:fs/promises";
import { HoldfastError } from "@holdfast/shared";
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { findDatasourceRow } from "../datasources/get-datasource.js";
import { deleteDelivered, heldError } from "../deliveries/delete-delivered.js";
import { protectedReasons } from "../retention/protected.js";
import type { RunRow } from "../runs/get-run.js";
import { lockedNote } from "../retention/deletable.js";
import { type BackupCopies, type BackupCopy, backupCopies, isLiveCopy, noCopyLeft } from "./backup-copies.js";
import { goodBackups } from "./good-backup.js";
import { exists, spooledPath } from "./spool.js";

type DeleteContext = Pick<AppContext, "database" | "clock" | "env" | "log" | "secrets">;

export interface DeletedArtifact {
  runId: string;
  /** Each destination the backup's objects were deleted from, with the objects' names (sidecar first). */
  deleted: { destinationId: string; objects: string[] }[];
  /** The control plane's spool copy was removed too. */
  spoolCopyRemoved: boolean;
  /** Copies Holdfast cannot delete, left where they are, with why. */
  leftAlone: { destinationId: string; path: string | null; reason: string }[];
}

/** Deliveries still writing the backup, or restores reading it: deleting now would cut them. */
async function assertNotInUse(ctx: DeleteContext, b: BackupCopies): Promise<void> {
  const writing = b.copies.filter((c) => c.state === "pending" || c.state === "running");
  if (writing.length > 0) {
    throw new HoldfastError(
      "ARTIFACT_IN_USE",
      `Backup run ${b.run.id} is still being delivered to ${writing.map((c) => `"${c.destinationName}"`).join(", ")}: delete it once those deliveries ended (GET /api/v1/runs/${b.run.id}/deliveries)`,
      { runId: b.run.id, destinationIds: writing.map((c) => c.destinationId) },
    );
  }
  const { db, t } = ctx.database;
  const reading = await db
    .select({ id: t.runs.id })
    .from(t.runs)
    .where(and(eq(t.runs.sourceRunId, b.run.id), eq(t.runs.kind, "restore"), inArray(t.runs.state, ["pending", "queued", "running"])));
  if (reading.length > 0) {
    throw new HoldfastError("ARTIFACT_IN_USE", `Restore run ${reading[0]!.id} is reading backup run ${b.run.id}: delete it once the restore ended`, {
      runId: b.run.id,
      restoreRunIds: reading.map((r) => r.id),
    });
  }
}

/**
 * What retention would never delete: the newest successful and the newest verified backup of the
 * datasource among its good ones (good-backup.ts; protected.ts, the one rule both follow). Refused unless forced, naming the flag.
 */
async function assertNotLastGood(ctx: DeleteContext, run: RunRow): Promise<void> {
  const good = await goodBackups(ctx, eq(ctx.database.t.runs.datasourceId, run.datasourceId));
  const reasons = protectedReasons(good).get(run.id);
  if (!reasons) return;
  const ds = await findDatasourceRow(ctx, run.datasourceId, { retired: true });
  throw new HoldfastError(
    "NEWEST_GOOD_BACKUP",
    `Backup run ${run.id} is the ${reasons.join(" and the ")} backup of datasource ${ds.id} ("${ds.name}"), which retention never deletes: add ?force=true to delete it anyway`,
    { runId: run.id, datasourceId: ds.id, reasons },
  );
}

/** DESTINATION_OBJECT_LOCKED: every copy left is under S3 Object Lock, and there is no spool copy. */
function lockedCopies(b: BackupCopies, locked: BackupCopy[]): HoldfastError {
  const last = Math.max(...locked.map((c) => c.lockedUntil!));
  return new HoldfastError(
    "DESTINATION_OBJECT_LOCKED",
    `Backup run ${b.run.id} is under S3 Object Lock on ${locked.map((c) => `"${c.destinationName}" until ${new Date(c.lockedUntil!).toISOString()}`).join(", ")}: nothing can delete it before then; retention deletes it after`,
    { runId: b.run.id, lockedUntil: new Date(last).toISOString(), destinationIds: locked.map((c) => c.destinationId) },
  );
}

/**
 * `DELETE /api/v1/runs/:runId/artifact`: deletes a backup by hand, as retention does (the objects
 * each completed delivery recorded writing, sidecar first; the delivery row keeps the deletion, with
 * `manual: deleted by <who>`), on every live destination, and the spool copy. Manual backups are kept
 * until deleted, and this is how. Refused while deliveries or restores use it (ARTIFACT_IN_USE), for
 * the newest good or verified backup of its datasource unless `force` (NEWEST_GOOD_BACKUP), and when
 * nothing is left to delete (ARTIFACT_NOT_FOUND saying what became of each copy), and, whatever
 * `force` says, while the backup is held (BACKUP_HELD). A copy under S3 Object Lock is left alone
 * until its date (`leftAlone`; DESTINATION_OBJECT_LOCKED when nothing else is left to delete). A
 * destination that fails answers its error, naming what was deleted and what was not: deleting
 * again finishes it.
 */
export async function deleteArtifact(ctx: DeleteContext, input: { runId: string; force: boolean; deletedBy: string }): Promise<DeletedArtifact> {
  const b = await backupCopies(ctx, input.runId);
  // Before anything is touched, spool copy included; `force` overrides retention's rule, never a hold.
  if (b.run.heldAt !== null) throw heldError(b.run.id, { heldAt: b.run.heldAt, heldBy: b.run.heldBy, reason: b.run.holdReason });
  await assertNotInUse(ctx, b);
  const now = ctx.clock.now().getTime();
  const isLocked = (c: BackupCopy) => c.lockedUntil !== null && c.lockedUntil > now;
  const liveCopies = b.copies.filter((c) => isLiveCopy(c, b.objectName));
  // A copy under S3 Object Lock is never tried before its date (retention deletes it after).
  const live = liveCopies.filter((c) => !isLocked(c));
  const locked = liveCopies.filter(isLocked);
  const spool = spooledPath(ctx.env.spoolDir, b.run.id);
  const spooled = await exists(spool);
  if (liveCopies.length === 0 && !spooled) throw noCopyLeft(b);
  if (live.length === 0 && !spooled) throw lockedCopies(b, locked);
  if (!input.force) await assertNotLastGood(ctx, b.run);

  const leftAlone = [
    ...b.copies
      .filter((c) => c.state === "completed" && c.deletedAt === null && !isLiveCopy(c, b.objectName))
      .map((c) => ({
        destinationId: c.destinationId,
        path: c.path,
        reason: c.destinationRetired ? "the destination was deleted: Holdfast can no longer open it" : `recorded at ${c.path}, not under the name Holdfast gives objects now: delete it by hand`,
      })),
    ...locked.map((c) => ({ destinationId: c.destinationId, path: c.path, reason: `${lockedNote(new Date(c.lockedUntil!))} (S3 Object Lock): retention deletes it after that date` })),
  ];
  const reason = `manual: deleted by ${input.deletedBy}`;
  const deleted: DeletedArtifact["deleted"] = [];
  const failed: { destinationId: string; error: HoldfastError }[] = [];
  for (const c of live) {
    try {
      deleted.push({ destinationId: c.destinationId, objects: await deleteDelivered(ctx, { ...c, objectName: b.objectName, parts: b.parts }, reason) });
    } catch (err) {
      if (!(err instanceof HoldfastError)) throw err;
      failed.push({ destinationId: c.destinationId, error: err });
    }
  }
  const log = ctx.log.child({ runId: b.run.id, deletedBy: input.deletedBy, force: input.force });
  if (failed.length > 0) {
    const first = failed[0]!.error;
    log.warn({ deleted: deleted.map((d) => d.destinationId), failed: failed.map((f) => ({ destinationId: f.destinationId, code: f.error.code })) }, "a backup was deleted from some destinations only");
    throw new HoldfastError(
      first.code,
      `Deleted backup run ${b.run.id} from ${deleted.length} of ${live.length} destinations; ${failed.map((f) => `${f.destinationId}: ${f.error.message}`).join("; ")}. DELETE again to delete the rest`,
      { runId: b.run.id, deleted, failed: failed.map((f) => ({ destinationId: f.destinationId, error: f.error.toBody() })) },
      first.retryable,
    );
  }
  if (spooled) await rm(spool, { force: true });
  log.info({ destinations: deleted.map((d) => d.destinationId), spool: spooled, leftAlone: leftAlone.length }, "backup deleted by hand");
  return { runId: b.run.id, deleted, spoolCopyRemoved: spooled, leftAlone };
}
