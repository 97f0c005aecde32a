import { artifactKindOf as kindOfName, HoldfastError, isWholeServer, newId, SERVER_FORMAT, type RestoreRunBody } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { openHeldArtifact } from "../artifacts/locate-artifact.js";
import type { AppContext } from "../context.js";
import { findDatasourceRow, getDatasource } from "../datasources/get-datasource.js";
import { getRunRow, type ArtifactMeta, type RunRow } from "./get-run.js";

export interface StartRestoreInput {
  /** The backup run whose artifact is restored. */
  sourceRunId: string;
  body: RestoreRunBody;
  requestedBy: string;
}

/**
 * `POST /api/v1/runs/:runId/restore` (docs/link.md §9): records a run of kind "restore" on the target
 * datasource's agent, issues its download token and sends `startRestore`; answers the new run's id
 * once the agent accepted. Refusals: an unknown run (404 RUN_NOT_FOUND) or datasource (404
 * DATASOURCE_NOT_FOUND); a source that is not a completed backup whose verified artifact the control
 * plane holds (409 RUN_NOT_RESTORABLE); the agent offline (503 AGENT_OFFLINE); its slot busy (the
 * agent's 409 BACKUP_ALREADY_RUNNING, relayed: the run record is dropped).
 */
export async function startRestore(ctx: AppContext, input: StartRestoreInput): Promise<{ runId: string }> {
  const { body } = input;
  const source = await getRunRow(ctx, input.sourceRunId);
  if (source.kind !== "backup" || source.state !== "completed" || source.sha256 === null || source.sizeBytes === null) {
    throw new HoldfastError("RUN_NOT_RESTORABLE", `Run ${source.id} is not a completed backup (${source.kind}, ${source.state})`, {
      runId: source.id,
      kind: source.kind,
      state: source.state,
    });
  }
  const held = await openHeldArtifact(ctx, source);
  if (!held) {
    throw new HoldfastError("RUN_NOT_RESTORABLE", `The control plane holds no verified copy of run ${source.id} (spool or completed delivery)`, {
      runId: source.id,
    });
  }
  await held.close();
  const target = await getDatasource(ctx, body.targetDatasourceId);
  // The backup's own datasource may have been deleted since: its engine still decides.
  const origin = await findDatasourceRow(ctx, source.datasourceId, { retired: true }).catch(() => null);
  if (origin && origin.engine !== target.engine) {
    throw new HoldfastError("RUN_NOT_RESTORABLE", `Run ${source.id} is a ${origin.engine} backup; datasource ${target.id} is ${target.engine}`, {
      runId: source.id,
      sourceEngine: origin.engine,
      targetEngine: target.engine,
    });
  }
  assertFitsTarget(source, target, body);
  if (!ctx.link.isOnline(target.agentId)) {
    throw new HoldfastError("AGENT_OFFLINE", `Agent ${target.agentId} is not connected`, { agentId: target.agentId });
  }

  const { db, t } = ctx.database;
  const now = ctx.clock.now().getTime();
  const runId = newId("run");
  await db.insert(t.runs).values({
    id: runId,
    kind: "restore",
    trigger: "manual",
    agentId: target.agentId,
    datasourceId: target.id,
    sourceRunId: source.id,
    state: "queued",
    requestedBy: input.requestedBy,
    idempotencyKey: newId("idem"),
    sizeBytes: source.sizeBytes,
    sha256: source.sha256,
    fileName: source.fileName,
    queuedAt: now,
    createdAt: now,
  });
  const downloadToken = ctx.downloads.issue(runId, source.id, target.agentId);
  try {
    await ctx.link.sendCommand(
      target.agentId,
      "startRestore",
      {
        runId,
        sourceRunId: source.id,
        targetDatasourceId: target.id,
        sizeBytes: source.sizeBytes,
        sha256: source.sha256,
        fileName: source.fileName ?? `${source.id}.sql.gz`,
        ...artifactKindOf(source),
        downloadToken,
        options: body.options,
      },
      // The run id is the key: a resend of this very command can never start a second restore.
      { idempotencyKey: runId },
    );
    ctx.log.info({ runId, sourceRunId: source.id, agentId: target.agentId, datasourceId: target.id }, "restore accepted by the agent");
  } catch (err) {
    // As for backups: after a timeout the agent may have started it, so its events must find the run.
    if (!(err instanceof HoldfastError && err.code === "AGENT_TIMEOUT")) {
      ctx.downloads.revoke(runId);
      await db.delete(t.runs).where(eq(t.runs.id, runId));
    }
    throw err;
  }
  return { runId };
}

/**
 * A whole-server backup (format `server`) restores into a whole-server datasource (database "*") and
 * nothing else does (409 RUN_NOT_RESTORABLE, as for another engine); only its restore chooses
 * databases and renames them (400 naming the option).
 */
function assertFitsTarget(source: RunRow, target: { id: string; connection: unknown }, body: RestoreRunBody): void {
  const format = artifactKindOf(source).artifact?.format ?? (source.fileName ? kindOfName(source.fileName)?.format : undefined);
  const server = format === SERVER_FORMAT;
  if (server !== isWholeServer(target.connection)) {
    throw new HoldfastError(
      "RUN_NOT_RESTORABLE",
      server ? `Run ${source.id} is a whole server's backup: restore it into a whole-server datasource (database "*"), not ${target.id}` : `Datasource ${target.id} is a whole server (database "*"): it takes whole-server backups only, and run ${source.id} is one database's`,
      { runId: source.id, datasourceId: target.id, format: format ?? null },
    );
  }
  const chosen = body.options.databases ? "databases" : body.options.rename ? "rename" : null;
  if (!server && chosen) {
    const message = "only a whole-server backup's restore chooses or renames databases";
    throw new HoldfastError("VALIDATION_FAILED", `Invalid options: ${chosen}: ${message}`, { issues: [{ path: `options.${chosen}`, message }] });
  }
}

/** Format, codec and encryption as backupCompleted recorded them; absent for runs recorded before. */
function artifactKindOf(source: RunRow): { artifact?: { format: NonNullable<ArtifactMeta["format"]>; codec: ArtifactMeta["codec"]; encrypted: boolean } } {
  if (source.artifactMeta === null) return {};
  const meta = JSON.parse(source.artifactMeta) as ArtifactMeta;
  return meta.format ? { artifact: { format: meta.format, codec: meta.codec, encrypted: meta.encrypted ?? false } } : {};
}
