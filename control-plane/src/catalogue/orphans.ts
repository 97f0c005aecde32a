import type { DeleteOrphansAnswer, OrphanBackup, OrphansAnswer } from "@holdfast/shared";
import { and, eq, inArray, isNull, or } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { recordsName } from "../deliveries/object-name.js";
import { openStoredDestination } from "../destinations/open-destination.js";
import type { Destination } from "../destinations/types.js";
import { listStoredBackups, type StoredBackup } from "./stored-backups.js";

type OrphanContext = Pick<AppContext, "database" | "env" | "secrets" | "log">;

/**
 * The backups at a destination that Holdfast wrote (a sidecar that parses, named as
 * artifactObjectName names its run) but that no delivery record holds there: none completed and
 * not deleted under that name, and none pending or running (a delivery under way writes its
 * sidecar a moment before its row says completed). Its objects are what the listing shows of it.
 */
async function findOrphans(ctx: OrphanContext, destinationId: string, destination: Destination): Promise<Map<string, { backup: StoredBackup; item: OrphanBackup }>> {
  const named = (await listStoredBackups(destination)).filter((b) => b.sidecar && b.sidecarProblem === null);
  const runIds = [...new Set(named.map((b) => b.runId))];
  const { db, t } = ctx.database;
  const d = t.deliveries;
  const held =
    runIds.length === 0
      ? []
      : await db
          .select({ runId: d.runId, path: d.path, state: d.state })
          .from(d)
          .where(and(eq(d.destinationId, destinationId), inArray(d.runId, runIds), or(and(eq(d.state, "completed"), isNull(d.deletedAt)), inArray(d.state, ["pending", "running"]))));
  const orphans = new Map<string, { backup: StoredBackup; item: OrphanBackup }>();
  for (const b of named) {
    const holders = held.filter((h) => h.runId === b.runId && (h.state !== "completed" || recordsName(h.path, b.objectName)));
    if (holders.length > 0) continue;
    orphans.set(b.objectName, {
      backup: b,
      item: { objectName: b.objectName, runId: b.runId, datasourceId: b.datasourceId, objects: b.presentObjects, bytes: b.bytes, createdAt: b.sidecar!.createdAt },
    });
  }
  return orphans;
}

/** `GET /destinations/:id/orphans`. */
export async function listOrphans(ctx: OrphanContext, destinationId: string): Promise<OrphansAnswer> {
  const destination = await openStoredDestination(ctx, destinationId);
  const orphans = await findOrphans(ctx, destinationId, destination);
  return { destinationId, items: [...orphans.values()].map((o) => o.item) };
}

/**
 * Deletes the named orphans, each only if it is one when looked at again now: the set is
 * recomputed, and a name outside it (held by a delivery since, without a sidecar, not there) is
 * skipped with why. Data objects go first and the sidecar last, so an interrupted delete leaves a
 * sidecar that still finds what is left.
 */
export async function deleteOrphans(ctx: OrphanContext, destinationId: string, objectNames: string[]): Promise<DeleteOrphansAnswer> {
  const destination = await openStoredDestination(ctx, destinationId);
  const orphans = await findOrphans(ctx, destinationId, destination);
  const answer: DeleteOrphansAnswer = { destinationId, deleted: [], skipped: [] };
  for (const name of new Set(objectNames)) {
    const orphan = orphans.get(name);
    if (!orphan) {
      answer.skipped.push({ objectName: name, reason: "not an orphan here now: no Holdfast sidecar names it, or a delivery record holds it" });
      continue;
    }
    const sidecar = orphan.item.objects[orphan.item.objects.length - 1]!;
    const objects = [...orphan.item.objects.filter((o) => o !== sidecar), sidecar];
    try {
      for (const o of objects) await destination.delete(o);
      answer.deleted.push({ objectName: name, objects, bytes: orphan.item.bytes });
      ctx.log.info({ destinationId, objectName: name, runId: orphan.item.runId, objects: objects.length }, "orphaned backup deleted");
    } catch (err) {
      answer.skipped.push({ objectName: name, reason: `could not delete it: ${(err as Error).message}` });
    }
  }
  return answer;
}
