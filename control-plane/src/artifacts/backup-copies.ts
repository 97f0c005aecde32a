import { type ArtifactPart, HoldfastError } from "@holdfast/shared";
import { asc, eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { artifactObjectName, recordsName } from "../deliveries/object-name.js";
import { type ArtifactMeta, getRunRow, type RunRow } from "../runs/get-run.js";
import { assertRunId } from "./spool.js";

/** One delivery of a backup, as a copy the control plane may read or delete. */
export interface BackupCopy {
  deliveryId: string;
  destinationId: string;
  destinationName: string;
  state: string;
  path: string | null;
  deletedAt: number | null;
  deletionReason: string | null;
  /** A scrub found the object missing or altered (`damage` says which); null while it was not. */
  damagedAt: number | null;
  damage: string | null;
  /** S3 Object Lock holds the copy's objects until then (epoch ms); null when not locked. */
  lockedUntil: number | null;
  /** The destination was deleted: its credentials are gone, so its objects can be neither read nor deleted. */
  destinationRetired: boolean;
}

export interface BackupCopies {
  /** A completed backup: its size and SHA-256 are known. */
  run: RunRow & { sizeBytes: number; sha256: string };
  /** Where every destination holds it: `<datasource>/<yyyy>/<mm>/<time>_<run><ext>`. */
  objectName: string;
  parts: ArtifactPart[] | undefined;
  copies: BackupCopy[];
}

/** A copy Holdfast wrote whole and may still touch: completed, not deleted, on a live destination, under the run's name. */
export function isLiveCopy(c: Pick<BackupCopy, "state" | "deletedAt" | "destinationRetired" | "path">, objectName: string): boolean {
  return c.state === "completed" && c.deletedAt === null && !c.destinationRetired && recordsName(c.path, objectName);
}

/**
 * A backup run and its deliveries, for the routes that treat a backup as an object. A restore run
 * and a backup that never completed have no artifact: ARTIFACT_NOT_FOUND saying which, and what to
 * do instead.
 */
export async function backupCopies(ctx: DbContext, runId: string): Promise<BackupCopies> {
  assertRunId(runId);
  const run = await getRunRow(ctx, runId);
  if (run.kind !== "backup") {
    throw new HoldfastError("ARTIFACT_NOT_FOUND", `Run ${runId} is a ${run.kind} run: it wrote into a datasource and has no artifact; its backup is run ${run.sourceRunId}`, {
      runId,
      kind: run.kind,
      sourceRunId: run.sourceRunId,
    });
  }
  if (run.state !== "completed" || run.sizeBytes === null || run.sha256 === null) {
    const unfinished = ["pending", "queued", "running"].includes(run.state);
    throw new HoldfastError(
      "ARTIFACT_NOT_FOUND",
      unfinished ? `Backup run ${runId} is ${run.state}: its artifact exists once it completed` : `Backup run ${runId} ended ${run.state}: it made no artifact (its error says why)`,
      { runId, state: run.state },
    );
  }
  const { db, t } = ctx.database;
  const rows = await db
    .select({ d: t.deliveries, name: t.destinations.name, retiredAt: t.destinations.deletedAt })
    .from(t.deliveries)
    .innerJoin(t.destinations, eq(t.destinations.id, t.deliveries.destinationId))
    .where(eq(t.deliveries.runId, runId))
    .orderBy(asc(t.deliveries.id));
  return {
    run: { ...run, sizeBytes: run.sizeBytes, sha256: run.sha256 },
    objectName: artifactObjectName(run),
    parts: run.artifactMeta ? (JSON.parse(run.artifactMeta) as ArtifactMeta).parts : undefined,
    copies: rows.map(({ d, name, retiredAt }) => ({
      deliveryId: d.id,
      destinationId: d.destinationId,
      destinationName: name,
      state: d.state,
      path: d.path,
      deletedAt: d.deletedAt,
      deletionReason: d.deletionReason,
      damagedAt: d.damagedAt,
      damage: d.damage,
      lockedUntil: d.lockedUntil,
      destinationRetired: retiredAt !== null,
    })),
  };
}

/** ARTIFACT_NOT_FOUND for a completed backup no copy of which is left to read, saying what became of each. */
export function noCopyLeft(b: BackupCopies): HoldfastError {
  const fates = b.copies.map((c) => {
    const where = `"${c.destinationName}"`;
    if (c.deletedAt !== null) return `deleted from ${where} at ${new Date(c.deletedAt).toISOString()} (${c.deletionReason ?? "no reason recorded"})`;
    if (c.destinationRetired) return `on ${where}, a deleted destination Holdfast can no longer open (${c.path ?? "no path"})`;
    if (c.state !== "completed") return `never delivered to ${where} (${c.state})`;
    return `missing or incomplete on ${where} (${c.path ?? "no path"})`;
  });
  return new HoldfastError("ARTIFACT_NOT_FOUND", `No copy of backup run ${b.run.id} is left to read: ${fates.join("; ") || "it was never delivered"}`, {
    runId: b.run.id,
    copies: b.copies.map((c) => ({ destinationId: c.destinationId, state: c.state, deletedAt: c.deletedAt === null ? null : new Date(c.deletedAt).toISOString(), deletionReason: c.deletionReason })),
  });
}
