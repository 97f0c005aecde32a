import fs from "node:fs";
import { HoldfastError, toErrorBody } from "@holdfast/shared";
import { runPipeline } from "../pipeline/run-pipeline.js";
import { requireDatasource } from "../store/datasources.js";
import { appendEvent } from "../store/outbox.js";
import { transitionRun } from "../store/runs.js";
import type { RunContext } from "./context.js";
import { createRunDir, runDirOf } from "./staging.js";

/**
 * Carries a `running` run to its end: dump → pipeline → `completed` with the artifact, or `failed`
 * with a catalog error and no file left behind. Never throws: the outcome is the run's state.
 */
export async function executeBackup(ctx: RunContext, runId: string, datasourceId: string): Promise<void> {
  const log = ctx.log.child({ runId, datasourceId });
  const runDir = runDirOf(ctx.stagingRoot, runId);
  try {
    const datasource = requireDatasource(ctx.store, datasourceId);
    const engine = ctx.engines[datasource.engine];
    if (!engine) throw new HoldfastError("UNSUPPORTED_DATABASE_TYPE", `This agent has no ${datasource.engine} engine`, { engine: datasource.engine });
    createRunDir(ctx.stagingRoot, runId);
    const dump = await engine.dump(datasource.connection);
    const artifact = await runPipeline({
      dump,
      runDir,
      runId,
      clock: ctx.clock,
      onProgress: (bytes) =>
        ctx.store.transaction(() => appendEvent(ctx.store, "backupProgress", runId, { step: "dump", bytes, percent: null })),
    });
    transitionRun(ctx.store, runId, { to: "completed", artifact });
    log.info({ sizeBytes: artifact.sizeBytes, rawSizeBytes: artifact.rawSizeBytes, sha256: artifact.sha256 }, "backup completed");
  } catch (err) {
    // Unknown errors are reported as INTERNAL_ERROR; their detail stays in the agent's own log.
    if (!(err instanceof HoldfastError)) log.error({ err }, "backup failed unexpectedly");
    const error = toErrorBody(err);
    await fs.promises.rm(runDir, { recursive: true, force: true }).catch(() => {});
    try {
      transitionRun(ctx.store, runId, { to: "failed", error });
      log.warn({ code: error.code, details: error.details }, "backup failed");
    } catch (transitionErr) {
      log.error({ err: transitionErr }, "could not record the failed run");
    }
  }
}
