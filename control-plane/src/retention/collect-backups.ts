import type { ArtifactPart } from "@holdfast/shared";
import { and, eq, isNull, type SQL } from "drizzle-orm";
import { isUndamagedCopy } from "../artifacts/good-backup.js";
import { datasourceVersions } from "../artifacts/datasource-versions.js";
import type { DbContext } from "../context.js";
import type { Database } from "../db/index.js";
import { artifactObjectName } from "../deliveries/object-name.js";
import type { ArtifactMeta } from "../runs/get-run.js";
import type { RetentionBackup } from "./types.js";

/** A backup on one destination, as retention plans it and the executor deletes it. */
export interface DeliveredBackup extends RetentionBackup {
  /** The run id: one delivery per run and destination, so it names the backup there. */
  id: string;
  deliveryId: string;
  destinationId: string;
  scheduleId: string | null;
  /** What the delivery recorded writing: the executor deletes only where it matches `objectName`. */
  path: string | null;
  deliveryState: string;
  objectName: string;
  parts: ArtifactPart[] | undefined;
  /** S3 Object Lock's retain-until date of the copy (epoch ms), or null (deletable.ts). */
  lockedUntil: number | null;
}

/**
 * The backup runs matching `where` with their live deliveries (retention has not deleted them), by
 * destination, on live destinations only: a retired destination's credentials are wiped, and what
 * it holds is no longer Holdfast's to touch. `manual` is left to the caller, which knows which
 * backups its planner ages by days.
 */
export async function deliveredBackups(ctx: DbContext, where: SQL | undefined): Promise<Map<string, DeliveredBackup[]>> {
  const { db, t } = ctx.database;
  // Only the columns used: a five-year daily schedule is 1,825 rows, and the whole rows (every
  // run and delivery column through the driver and drizzle) cost more than the query itself.
  const r = t.runs;
  const dl = t.deliveries;
  const rows = await db
    .select({
      run: { id: r.id, datasourceId: r.datasourceId, createdAt: r.createdAt, fileName: r.fileName, finishedAt: r.finishedAt, state: r.state, verified: r.verified, trigger: r.trigger, scheduleId: r.scheduleId, artifactMeta: r.artifactMeta, heldAt: r.heldAt, holdReason: r.holdReason },
      d: { id: dl.id, destinationId: dl.destinationId, state: dl.state, path: dl.path, deletedAt: dl.deletedAt, damagedAt: dl.damagedAt, lockedUntil: dl.lockedUntil },
    })
    .from(t.deliveries)
    .innerJoin(t.runs, eq(t.runs.id, t.deliveries.runId))
    .innerJoin(t.destinations, eq(t.destinations.id, t.deliveries.destinationId))
    .where(and(eq(t.runs.kind, "backup"), isNull(t.deliveries.deletedAt), isNull(t.destinations.deletedAt), where));
  const byDestination = new Map<string, DeliveredBackup[]>();
  for (const { run, d } of rows) {
    const meta = run.artifactMeta ? (JSON.parse(run.artifactMeta) as ArtifactMeta) : null;
    const backup: DeliveredBackup = {
      id: run.id,
      finishedAt: new Date(run.finishedAt ?? run.createdAt),
      // A copy a scrub found missing or altered is no candidate and protects nothing (good-backup.ts).
      ok: run.state === "completed" && isUndamagedCopy({ state: d.state, deletedAt: d.deletedAt, damagedAt: d.damagedAt, destinationRetired: false }),
      verified: run.verified,
      manual: run.trigger === "manual",
      held: run.heldAt === null ? null : (run.holdReason ?? ""),
      deliveryId: d.id,
      destinationId: d.destinationId,
      scheduleId: run.scheduleId,
      path: d.path,
      deliveryState: d.state,
      objectName: artifactObjectName(run),
      parts: meta?.parts,
      lockedUntil: d.lockedUntil,
    };
    const list = byDestination.get(d.destinationId);
    if (list) list.push(backup);
    else byDestination.set(d.destinationId, [backup]);
  }
  return byDestination;
}

/** Per database, the last few datasources' backups read by datasourceBackups, with the version they were read at. */
const memo = new WeakMap<Database, Map<string, { version: number; backups: Map<string, DeliveredBackup[]> }>>();
/** Datasources kept (five years of daily backups on three destinations: ~5,000 backups, a few MiB). */
const KEEP = 8;

/**
 * deliveredBackups of one datasource, answered again while its version stands (datasource-versions.ts:
 * triggers bump it with every write to a column read here). For the retention preview: five years of
 * daily backups are 1,825 rows whose read and mapping was half the request. The lists are shared
 * between callers: read them, never change them.
 */
export async function datasourceBackups(ctx: DbContext, datasourceId: string): Promise<Map<string, DeliveredBackup[]>> {
  let kept = memo.get(ctx.database);
  if (!kept) memo.set(ctx.database, (kept = new Map()));
  const version = (await datasourceVersions(ctx, [datasourceId]))(datasourceId);
  const hit = kept.get(datasourceId);
  if (hit?.version === version) return hit.backups;
  const backups = await deliveredBackups(ctx, eq(ctx.database.t.runs.datasourceId, datasourceId));
  kept.delete(datasourceId);
  if (kept.size >= KEEP) kept.delete(kept.keys().next().value!);
  kept.set(datasourceId, { version, backups });
  return backups;
}
