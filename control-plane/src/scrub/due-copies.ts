import { and, eq, isNull } from "drizzle-orm";
import type { ArtifactPart } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { artifactObjectName } from "../deliveries/object-name.js";
import type { RecordedArtifact, VerifyDepth } from "../deliveries/verify-stored-copy.js";
import type { ArtifactMeta } from "../runs/get-run.js";
import { isLiveCopy } from "../artifacts/backup-copies.js";

/** How often each copy is looked at (env.scrub). */
export interface ScrubCycles {
  sizeCycleMs: number;
  /** 0: never re-read. */
  hashCycleMs: number;
}

/** A live stored copy the scrub owes a check, and how deep. */
export interface DueCopy {
  deliveryId: string;
  destinationId: string;
  destinationName: string;
  datasourceId: string;
  objectName: string;
  recorded: RecordedArtifact;
  depth: VerifyDepth;
  damagedAt: number | null;
  /** Since when it is owed: the order a pass works in, oldest first. */
  dueSince: number;
}

/**
 * Full depth is re-reading every byte: cheap enough on a local disk, a download bill on S3 and an
 * hour of SSH on SFTP, so only local copies are re-hashed (the others have no stored checksum the
 * catalogue records, so their size is what can be checked).
 */
const canRehash = (type: string) => type === "local";

/**
 * The live copies (completed, not deleted, on a destination Holdfast still holds, under the run's
 * name) whose size check or re-hash is due at `now`, oldest-owed first. A copy not checked since it
 * was delivered counts from its delivery. A damaged copy is checked on the same cycles at the
 * deepest depth its store allows, so that finding it whole again (someone put the file back) is
 * as strong as the check that would have found it damaged.
 */
export async function dueCopies(ctx: DbContext, cycles: ScrubCycles, now: number): Promise<DueCopy[]> {
  const { db, t } = ctx.database;
  const rows = await db
    .select({
      d: { id: t.deliveries.id, state: t.deliveries.state, path: t.deliveries.path, deletedAt: t.deliveries.deletedAt, damagedAt: t.deliveries.damagedAt, updatedAt: t.deliveries.updatedAt, scrubbedAt: t.deliveries.scrubbedAt, hashedAt: t.deliveries.hashedAt },
      run: { id: t.runs.id, datasourceId: t.runs.datasourceId, createdAt: t.runs.createdAt, fileName: t.runs.fileName, sizeBytes: t.runs.sizeBytes, sha256: t.runs.sha256, artifactMeta: t.runs.artifactMeta },
      dest: { id: t.destinations.id, name: t.destinations.name, type: t.destinations.type },
    })
    .from(t.deliveries)
    .innerJoin(t.runs, eq(t.runs.id, t.deliveries.runId))
    .innerJoin(t.destinations, eq(t.destinations.id, t.deliveries.destinationId))
    .where(and(eq(t.deliveries.state, "completed"), isNull(t.deliveries.deletedAt), isNull(t.destinations.deletedAt), eq(t.runs.kind, "backup"), eq(t.runs.state, "completed")));
  const due: DueCopy[] = [];
  for (const { d, run, dest } of rows) {
    if (run.sizeBytes === null || run.sha256 === null) continue;
    const objectName = artifactObjectName(run);
    if (!isLiveCopy({ ...d, destinationRetired: false }, objectName)) continue;
    const sizeDue = (d.scrubbedAt ?? d.updatedAt) + cycles.sizeCycleMs;
    const rehash = canRehash(dest.type) && cycles.hashCycleMs > 0;
    const hashDue = rehash ? (d.hashedAt ?? d.updatedAt) + cycles.hashCycleMs : Number.POSITIVE_INFINITY;
    const dueSince = Math.min(sizeDue, hashDue);
    if (dueSince > now) continue;
    const parts: ArtifactPart[] | undefined = run.artifactMeta ? (JSON.parse(run.artifactMeta) as ArtifactMeta).parts : undefined;
    due.push({
      deliveryId: d.id,
      destinationId: dest.id,
      destinationName: dest.name,
      datasourceId: run.datasourceId,
      objectName,
      recorded: { runId: run.id, sizeBytes: run.sizeBytes, sha256: run.sha256, parts },
      depth: rehash && (hashDue <= now || d.damagedAt !== null) ? "full" : "size",
      damagedAt: d.damagedAt,
      dueSince,
    });
  }
  return due.sort((a, b) => a.dueSince - b.dueSince || a.deliveryId.localeCompare(b.deliveryId));
}
