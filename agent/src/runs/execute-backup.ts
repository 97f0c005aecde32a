import fs from "node:fs";
import { HoldfastError, toErrorBody } from "@holdfast/shared";
import { runPipeline } from "../pipeline/run-pipeline.js";
import { requireDatasource } from "../store/datasources.js";
import { appendEvent } from "../store/outbox.js";
import { transitionRun } from "../store/runs.js";
import type { RunContext } from "./context.js";
import { assertPreflightPassed, preflight } from "./preflight.js";
import { RunStopped, type RunControl } from "./run-control.js";
import { createRunDir, runDirOf } from "./staging.js";
import { recordRunLog, recordStep } from "./steps.js";

export interface ExecuteOptions {
  /** startBackup ran the preflight a moment ago; a dequeued run runs it here. */
  preflighted?: boolean;
  scheduleId?: string | null;
}

/**
 * Carries a `running` run to its end: preflight → dump → pipeline (compress, stage) → verify →
 * `completed` with the artifact; or `failed` with a catalog error, or `cancelled` when the slot asked
 * it to stop. Whatever the end, the run's staging dir is gone unless it completed. Never throws.
 */
export async function executeBackup(ctx: RunContext, runId: string, datasourceId: string, control: RunControl, opts: ExecuteOptions = {}): Promise<void> {
  const log = ctx.log.child({ runId, datasourceId, ...(opts.scheduleId ? { scheduleId: opts.scheduleId } : {}) });
  const runDir = runDirOf(ctx.stagingRoot, runId);
  try {
    const datasource = requireDatasource(ctx.store, datasourceId);
    const engine = ctx.engines[datasource.engine];
    if (!engine) throw new HoldfastError("UNSUPPORTED_DATABASE_TYPE", `This agent has no ${datasource.engine} engine`, { engine: datasource.engine });

    if (opts.preflighted) {
      recordStep(ctx.store, runId, "preflight", "prerequisites checked when the run was accepted");
    } else {
      recordStep(ctx.store, runId, "preflight", "checking prerequisites");
      const result = await preflight(ctx, datasourceId);
      for (const w of result.warnings) recordRunLog(ctx.store, runId, "warn", `preflight ${w.code}: ${w.message}`);
      assertPreflightPassed(datasourceId, result);
    }
    control.throwIfStopped();

    createRunDir(ctx.stagingRoot, runId);
    recordStep(ctx.store, runId, "dump", `${engine.toolName} started`);
    const dump = await engine.dump(datasource.connection);
    control.onStop(() => {
      dump.abort();
      dump.stdout.destroy();
    });
    recordStep(ctx.store, runId, "stage", "compressing (gzip) into the staging dir");
    const artifact = await runPipeline({
      dump,
      runDir,
      runId,
      clock: ctx.clock,
      onProgress: (bytes) => ctx.store.transaction(() => appendEvent(ctx.store, "backupProgress", runId, { step: "dump", bytes, percent: null })),
    });
    for (const line of dump.warnings?.() ?? []) recordRunLog(ctx.store, runId, "warn", `${engine.toolName}: ${line}`);
    control.throwIfStopped();

    recordStep(ctx.store, runId, "verify", "checking the staged file's size against what was hashed");
    const st = await fs.promises.lstat(artifact.stagingPath);
    if (!st.isFile() || st.size !== artifact.sizeBytes) {
      throw new HoldfastError("STAGING_FAILED", "The staged file does not match what was written", { expected: artifact.sizeBytes, found: st.size });
    }
    control.throwIfStopped();
    const artifactExpiresAt = new Date(ctx.clock.now().getTime() + ctx.limits.artifactTtlMs).toISOString();
    transitionRun(ctx.store, runId, { to: "completed", artifact, artifactExpiresAt });
    ctx.sweeper.poke();
    log.info({ sizeBytes: artifact.sizeBytes, rawSizeBytes: artifact.rawSizeBytes, sha256: artifact.sha256 }, "backup completed");
  } catch (err) {
    await fs.promises.rm(runDir, { recursive: true, force: true }).catch(() => {});
    const stop = control.stopRequest;
    if (!stop && !(err instanceof HoldfastError) && !(err instanceof RunStopped)) log.error({ err }, "backup failed unexpectedly");
    try {
      if (stop?.kind === "cancel") {
        transitionRun(ctx.store, runId, { to: "cancelled", reason: stop.reason });
        log.info({ reason: stop.reason }, "backup cancelled");
      } else {
        // Unknown errors are reported as INTERNAL_ERROR; their detail stays in the agent's own log.
        const error = stop?.kind === "fail" ? stop.error : toErrorBody(err);
        transitionRun(ctx.store, runId, { to: "failed", error });
        log.warn({ code: error.code, details: error.details }, "backup failed");
      }
    } catch (transitionErr) {
      log.error({ err: transitionErr }, "could not record the end of the run");
    }
  }
}
