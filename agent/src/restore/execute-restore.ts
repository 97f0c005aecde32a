import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { connectionLabel, HoldfastError, toErrorBody, type CommandPayload, type Engine as EngineName } from "@holdfast/shared/protocol";
import type { RunContext } from "../runs/context.js";
import { RunStopped, type RunControl } from "../runs/run-control.js";
import { createRunDir, runDirOf } from "../staging/run-folders.js";
import { recordRunLog, recordRestoreStage } from "../runs/steps.js";
import { requireDatasource } from "../store/datasources.js";
import { appendEvent } from "../store/outbox.js";
import { transitionRun } from "../queue/transitions.js";
import { artifactKindToRestore } from "./artifact-kind.js";
import { downloadArtifact, type DownloadOptions, type DownloadResult } from "./download-artifact.js";
import { datasourceScope, explainPathDenial } from "../host/path-denial.js";
import { restoreTargetFor, type RestoreTarget } from "./restore-target.js";
import { verifyArtifact } from "./verify-artifact.js";
import type { ServerTrust } from "../link/server-trust.js";

export interface RestoreDeps {
  serverUrl: string;
  /** How the download's connection is trusted (link/server-trust.ts). */
  trust?: ServerTrust;
  /** Tests swap the transport or the target; the defaults are the real ones. */
  download?: (opts: DownloadOptions) => Promise<DownloadResult>;
  restoreTarget?: (ctx: RunContext, engine: EngineName) => RestoreTarget;
  downloadBackoffMs?: number;
}

/** The file a restore downloads into, inside the run's private (0700) staging dir. */
export function restoreFileOf(stagingRoot: string, runId: string): string {
  return path.join(runDirOf(stagingRoot, runId), "artifact.download");
}

/** An encrypted artifact needs the operator's age identity; without one nothing is fetched or touched. */
export function requireIdentity(payload: Pick<CommandPayload<"startRestore">, "options" | "fileName">): string {
  const identity = payload.options.identity;
  if (identity === undefined) {
    throw new HoldfastError("DECRYPTION_FAILED", `Artifact ${payload.fileName} is age-encrypted: the restore needs options.identity`, { stage: "decrypt" });
  }
  return identity;
}

/**
 * Carries a `running` restore run to its end (docs/link.md §9): download (GET + Range resume, into a
 * 0700 dir, 0600 file) → verify (size and SHA-256; CHECKSUM_MISMATCH leaves the target untouched) →
 * restore (the engine, fed from the verified file). Progress goes out as restoreProgress (at most one
 * a second); the end as restoreCompleted, restoreFailed {stage} or restoreCancelled. The run's dir is
 * removed in every outcome. Never throws.
 */
export async function executeRestore(ctx: RunContext, payload: CommandPayload<"startRestore">, control: RunControl, deps: RestoreDeps): Promise<void> {
  const { runId } = payload;
  const log = ctx.log.child({ runId, sourceRunId: payload.sourceRunId, datasourceId: payload.targetDatasourceId });
  const started = performance.now();
  const abort = new AbortController();
  control.onStop(() => abort.abort());
  try {
    const datasource = requireDatasource(ctx.store, payload.targetDatasourceId);
    const target = (deps.restoreTarget ?? restoreTargetFor)(ctx, datasource.engine);
    const { format, codec, encrypted } = artifactKindToRestore(payload);
    const identity = encrypted ? requireIdentity(payload) : undefined;

    recordRestoreStage(ctx.store, runId, "download", `fetching ${payload.fileName} (${payload.sizeBytes} bytes) from the control plane`);
    createRunDir(ctx.stagingRoot, runId);
    const file = restoreFileOf(ctx.stagingRoot, runId);
    let lastReport = -Infinity;
    const fetched = await (deps.download ?? downloadArtifact)({
      serverUrl: deps.serverUrl,
      ...(deps.trust ? { trust: deps.trust } : {}),
      sourceRunId: payload.sourceRunId,
      downloadToken: payload.downloadToken,
      sizeBytes: payload.sizeBytes,
      file,
      clock: ctx.clock,
      signal: abort.signal,
      ...(deps.downloadBackoffMs !== undefined ? { backoffMs: deps.downloadBackoffMs } : {}),
      onProgress: (bytes) => {
        const now = ctx.clock.now().getTime();
        if (now - lastReport < 1000 && bytes < payload.sizeBytes) return;
        lastReport = now;
        const percent = payload.sizeBytes > 0 ? Math.min(100, (bytes / payload.sizeBytes) * 100) : null;
        ctx.store.transaction(() => appendEvent(ctx.store, "restoreProgress", runId, { step: "download", bytes, percent }));
      },
    });
    if (fetched.attempts > 1) recordRunLog(ctx.store, runId, "warn", `download resumed ${fetched.attempts - 1} time(s)`);
    control.throwIfStopped();

    recordRestoreStage(ctx.store, runId, "verify", "checking the downloaded file's size and SHA-256 before touching the target");
    await verifyArtifact(file, payload);
    control.throwIfStopped();

    const sealed = encrypted ? ", decrypting with the given identity" : "";
    recordRestoreStage(ctx.store, runId, "restore", `restoring ${format} (${codec}${sealed}) into ${connectionLabel(datasource.connection)}`);
    const result = await target.restore(file, datasource.connection, {
      format,
      codec,
      overwrite: payload.options.overwrite ?? false,
      globals: payload.options.globals ?? false,
      ...(payload.options.databases ? { databases: payload.options.databases } : {}),
      ...(payload.options.rename ? { rename: payload.options.rename } : {}),
      signal: abort.signal,
      ...(identity !== undefined ? { identity } : {}),
    });
    for (const line of result.warnings.slice(0, 200)) recordRunLog(ctx.store, runId, "warn", `restore: ${line}`);
    control.throwIfStopped();
    const durationMs = Math.round(performance.now() - started);
    transitionRun(ctx.store, runId, { to: "completed", restored: { durationMs } });
    log.info({ durationMs }, "restore completed");
  } catch (err) {
    const stop = control.stopRequest;
    if (!stop && !(err instanceof HoldfastError) && !(err instanceof RunStopped)) log.error({ err }, "restore failed unexpectedly");
    try {
      if (stop?.kind === "cancel") {
        transitionRun(ctx.store, runId, { to: "cancelled", reason: stop.reason });
        log.info({ reason: stop.reason }, "restore cancelled");
      } else {
        const error = stop?.kind === "fail" ? stop.error : toErrorBody(explainPathDenial(err, datasourceScope(ctx.store, payload.targetDatasourceId, "write")));
        // The stage comes from the run (the last one entered): exactly where it stopped.
        const run = transitionRun(ctx.store, runId, { to: "failed", error });
        log.warn({ code: error.code, stage: run.restoreStage, details: error.details }, "restore failed");
      }
    } catch (transitionErr) {
      log.error({ err: transitionErr }, "could not record the end of the restore");
    }
  } finally {
    await fs.promises.rm(runDirOf(ctx.stagingRoot, runId), { recursive: true, force: true }).catch(() => {});
  }
}
