import { randomBytes } from "node:crypto";
import { type ArtifactSidecar, type CatalogueImportAnswer, type CatalogueImportBody, type CatalogueImportEntry, newId } from "@holdfast/shared";
import { eq, inArray } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { openStoredDestination } from "../destinations/open-destination.js";
import type { ArtifactMeta } from "../runs/get-run.js";
import { listStoredBackups, type StoredBackup } from "./stored-backups.js";

type ImportContext = Pick<AppContext, "database" | "clock" | "env" | "secrets" | "log">;

/** The agent row imported datasources belong to: revoked from the start, so nothing can sign in as it. */
const IMPORT_AGENT_KEY_ID = "holdfast-catalogue-import";

/**
 * `POST /destinations/:id/catalogue/import`: records the backups a destination holds that the
 * catalogue lacks, from their sidecars, so the runs list shows them and download, restore and
 * validate work on them. Each is a completed backup run (its id, times, size, SHA-256, file name
 * and artifact metadata as the sidecar says) and a completed delivery to this destination under
 * its object name. A run the catalogue knows is left as it is; a sidecar that does not parse, is
 * not where Holdfast names its run, or whose data is not whole is reported invalid. A datasource
 * the catalogue does not know is recorded retired under the sidecar's id and engine (decisions.md:
 * "Stored backups"). `dryRun` writes nothing.
 */
export async function importCatalogue(ctx: ImportContext, destinationId: string, body: CatalogueImportBody): Promise<CatalogueImportAnswer> {
  const destination = await openStoredDestination(ctx, destinationId);
  const found = await listStoredBackups(destination);
  const { db, t } = ctx.database;
  const ids = [...new Set(found.map((b) => b.runId).filter((id) => id !== ""))];
  const known = new Set(ids.length === 0 ? [] : (await db.select({ id: t.runs.id }).from(t.runs).where(inArray(t.runs.id, ids))).map((r) => r.id));

  const entries: CatalogueImportEntry[] = [];
  for (const b of found) {
    const s = b.sidecar;
    const entry = {
      runId: b.runId,
      datasourceId: b.datasourceId,
      engine: s?.engine ?? null,
      objectName: b.objectName,
      sizeBytes: s?.sizeBytes ?? 0,
      createdAt: s?.createdAt ?? new Date(0).toISOString(),
    };
    const invalid = b.sidecarProblem ?? b.dataProblem;
    if (!s || invalid) {
      entries.push({ ...entry, outcome: "invalid", reason: invalid });
    } else if (known.has(b.runId)) {
      entries.push({ ...entry, outcome: "known", reason: null });
    } else {
      if (!body.dryRun) await recordImported(ctx, destinationId, b, s);
      // Two sidecars of one run (copied by hand under two names) import once.
      known.add(b.runId);
      entries.push({ ...entry, outcome: "imported", reason: null });
    }
  }
  const imported = entries.filter((e) => e.outcome === "imported").length;
  if (!body.dryRun && imported > 0) ctx.log.info({ destinationId, imported, found: found.length }, "backups imported into the catalogue from their sidecars");
  return { destinationId, dryRun: body.dryRun, found: found.length, imported, entries };
}

/**
 * The run, its delivery and (when the catalogue has none) its datasource. Not one transaction (the
 * SQLite driver's are synchronous): a run whose delivery could not be written is removed again, so
 * the next import finds it unknown and tries again rather than calling it known.
 */
async function recordImported(ctx: ImportContext, destinationId: string, b: StoredBackup, s: ArtifactSidecar): Promise<void> {
  const { db, t } = ctx.database;
  const now = ctx.clock.now().getTime();
  const meta: ArtifactMeta = {
    codec: s.codec ?? "none",
    ...(s.format ? { format: s.format } : {}),
    level: s.level,
    ...(s.serverVersion ? { serverVersion: s.serverVersion } : {}),
    encrypted: s.encrypted,
    ...(s.recipient ? { recipient: s.recipient } : {}),
    ...(s.parts && s.parts.length > 0 ? { parts: s.parts.map((p) => ({ index: p.index, offset: p.offset, sizeBytes: p.sizeBytes, sha256: p.sha256 })) } : {}),
  };
  let agentId = (await db.select({ agentId: t.datasources.agentId }).from(t.datasources).where(eq(t.datasources.id, s.datasourceId)).limit(1))[0]?.agentId;
  if (!agentId) {
    agentId = await importAgentId(ctx, now);
    await db.insert(t.datasources).values({
      id: s.datasourceId,
      agentId,
      name: `imported ${s.datasourceId}`,
      engine: s.engine ?? "unknown",
      connectionRedacted: "{}",
      createdAt: Date.parse(s.createdAt),
      note: `Recorded by a catalogue import from destination ${destinationId}: its backups restore into any ${s.engine ?? "same-engine"} datasource.`,
      deletedAt: now,
    });
  }
  await db.insert(t.runs).values({
    id: s.runId,
    kind: "backup",
    // No trigger says "imported"; manual is what a run no schedule fired is (decisions.md).
    trigger: "manual",
    agentId,
    datasourceId: s.datasourceId,
    state: "completed",
    idempotencyKey: `import-${s.runId}`,
    finishedAt: s.finishedAt ? Date.parse(s.finishedAt) : null,
    sizeBytes: s.sizeBytes,
    rawSizeBytes: s.rawSizeBytes,
    sha256: s.sha256,
    fileName: s.fileName,
    artifactMeta: JSON.stringify(meta),
    createdAt: Date.parse(s.createdAt),
  });
  await db
    .insert(t.deliveries)
    .values({
      id: newId("dlv"),
      runId: s.runId,
      destinationId,
      state: "completed",
      // The name is what every reader matches (recordsName); where a put would have said it lives is not known.
      path: b.objectName,
      attempts: 0,
      bytes: s.sizeBytes,
      updatedAt: now,
    })
    .catch(async (err: unknown) => {
      await db.delete(t.runs).where(eq(t.runs.id, s.runId));
      throw err;
    });
}

/** The one revoked agent that imported datasources hang off (a datasource needs an agent row). */
async function importAgentId(ctx: ImportContext, now: number): Promise<string> {
  const { db, t } = ctx.database;
  const existing = (await db.select({ id: t.agents.id }).from(t.agents).where(eq(t.agents.keyId, IMPORT_AGENT_KEY_ID)).limit(1))[0];
  if (existing) return existing.id;
  const id = newId("agt");
  await db.insert(t.agents).values({
    id,
    name: "catalogue import",
    hostname: "(imported from a destination)",
    keyId: IMPORT_AGENT_KEY_ID,
    // No key: a token can never verify against it, and the row is revoked anyway.
    publicKeyJwk: JSON.stringify({ unusable: randomBytes(8).toString("hex") }),
    status: "revoked",
    createdAt: now,
    revokedAt: now,
  });
  return id;
}
