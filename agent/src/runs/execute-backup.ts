import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { HoldfastError, toErrorBody, type Verification } from "@holdfast/shared/protocol";
import path from "node:path";
import { runDrill } from "../drill/run-drill.js";
import type { ConnectionTestResult, DumpHandle, DumpSink } from "../engines/types.js";
import { engineFor } from "../engines/registry.js";
import { datasourceScope, explainPathDenial } from "../host/path-denial.js";
import { artifactExtension } from "../pipeline/codec.js";
import { assertDumpHead } from "../pipeline/dump-head.js";
import { runPipeline } from "../pipeline/run-pipeline.js";
import { forgetGrowing } from "../staging/growing-artifact.js";
import { requireDatasource } from "../store/datasources.js";
import { appendEvent } from "../store/outbox.js";
import { requireRun } from "../queue/run-record.js";
import { transitionRun } from "../queue/transitions.js";
import type { StagedArtifact } from "../staging/staged-artifact.js";
import { lastCompletedRawSize } from "../store/run-lookups.js";
import type { RunContext } from "./context.js";
import { serverMajorOf } from "../engines/tool-version.js";
import { assertPreflightPassed, preflight, type PreflightSeen } from "./preflight.js";
import { RunStopped, type RunControl } from "./run-control.js";
import { createRunDir, runDirOf } from "../staging/run-folders.js";
import { recordRunLog, recordStep } from "./steps.js";

export interface ExecuteOptions {
  /** startBackup ran the preflight a moment ago; a dequeued run runs it here. */
  preflighted?: boolean;
  scheduleId?: string | null;
  /** The preflight's connection test of a moment ago: the server's version without connecting again. */
  server?: ConnectionTestResult;
}

/** A dump below this share of the last comparable one is refused as implausible (docs/decisions.md, "No false greens"). */
export const PLAUSIBLE_SHARE_OF_PREVIOUS = 0.1;

/**
 * Refuses an artifact whose raw dump is below 10% of the datasource's last completed run with the
 * same options: a dump tool that "succeeded" with a fraction of the data must never let retention
 * delete a good backup. A database that really shrank that much needs the operator to look anyway.
 */
export function assertPlausibleSize(artifact: StagedArtifact, previous: { runId: string; rawSizeBytes: number } | null): void {
  if (!previous || artifact.rawSizeBytes >= previous.rawSizeBytes * PLAUSIBLE_SHARE_OF_PREVIOUS) return;
  throw new HoldfastError("DUMP_FAILED", `The dump is implausibly small: ${artifact.rawSizeBytes} bytes against ${previous.rawSizeBytes} in run ${previous.runId}`, {
    rawSizeBytes: artifact.rawSizeBytes,
    previousRawSizeBytes: previous.rawSizeBytes,
    previousRunId: previous.runId,
    threshold: PLAUSIBLE_SHARE_OF_PREVIOUS,
  });
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
    const engine = engineFor(ctx.engines, datasource.engine);
    const seen: PreflightSeen = opts.server ? { server: opts.server } : {};

    if (opts.preflighted) {
      recordStep(ctx.store, runId, "preflight", "prerequisites checked when the run was accepted");
    } else {
      recordStep(ctx.store, runId, "preflight", "checking prerequisites");
      const result = await preflight(ctx, datasourceId, requireRun(ctx.store, runId).options, seen);
      for (const w of result.warnings) recordRunLog(ctx.store, runId, "warn", `preflight ${w.code}: ${w.message}`);
      assertPreflightPassed(datasourceId, result);
    }
    control.throwIfStopped();

    const options = requireRun(ctx.store, runId).options;
    // The server's version picks the client tools and goes into the artifact's metadata.
    const server = seen.server ?? (await engine.testConnection(datasource.connection));
    control.throwIfStopped();
    createRunDir(ctx.stagingRoot, runId);
    const started = performance.now();
    recordStep(ctx.store, runId, "dump", `${engine.toolName} started (${options.format})`);
    let dump = null as DumpHandle | null;
    control.onStop(() => {
      dump?.abort();
      dump?.stdout.destroy();
    });
    const serverMajor = serverMajorOf(server.serverVersionNum);
    // The pipeline starts the dump once its codec is up: a zstd dump's tools then write straight into it.
    const startDump = async (stdoutTo?: DumpSink) => {
      dump = await engine.dump(datasource.connection, options, { serverMajor, ...(stdoutTo ? { stdoutTo } : {}) });
      if (control.stopRequest) dump.abort();
      return dump;
    };
    const level = options.level === null ? "" : ` -${options.level}`;
    const sealed = options.encryption ? `, encrypting for ${options.encryption.recipient}` : "";
    recordStep(ctx.store, runId, "stage", `compressing (${options.codec}${level})${sealed} into the staging dir`);
    let staged: StagedArtifact;
    // The drill of an encrypted backup restores the compressed plaintext: the agent has no private key.
    const plainCopyPath = options.verify && options.encryption ? path.join(runDir, `${runId}.drill${artifactExtension(options.format, options.codec)}`) : undefined;
    try {
      staged = await runPipeline({
        dump: startDump,
        runDir,
        runId,
        clock: ctx.clock,
        compression: { codec: options.codec, level: options.level },
        extension: artifactExtension(options.format, options.codec, options.encryption !== undefined),
        ...(options.encryption ? { encryption: options.encryption } : {}),
        ...(options.maxFileSizeMb ? { partBytes: options.maxFileSizeMb * 1024 * 1024 } : {}),
        ...(plainCopyPath ? { plainCopyPath } : {}),
        onProgress: (bytes) => ctx.store.transaction(() => appendEvent(ctx.store, "backupProgress", runId, { step: "dump", bytes, percent: null })),
      });
    } finally {
      // The tool's warnings belong to the run whether it succeeded or not.
      for (const line of dump?.warnings?.() ?? []) recordRunLog(ctx.store, runId, "warn", line.startsWith("pg_") ? line : `${engine.toolName}: ${line}`);
    }
    control.throwIfStopped();
    // An encrypted artifact's plaintext is on disk only when a drill asked for its copy.
    const plainFile = options.encryption ? plainCopyPath : staged.stagingPath;
    if (plainFile && engine.dumpHeadChecked) await assertDumpHead(plainFile, datasource.engine, options.format, options.codec);
    assertPlausibleSize(staged, lastCompletedRawSize(ctx.store, datasourceId, options));
    let verification: Verification | undefined;
    if (options.verify) {
      recordStep(ctx.store, runId, "drill", "restore drill: restoring into a scratch target to compare with the source");
      verification = await runDrill({
        engine,
        source: datasource.connection,
        drillId: runId,
        file: plainCopyPath ?? staged.stagingPath,
        format: options.format,
        codec: options.codec,
        sourceFingerprint: dump?.sourceFingerprint ? await dump.sourceFingerprint().catch(() => null) : null,
        filtered: options.tables.include.length + options.tables.exclude.length + options.schemas.include.length + options.schemas.exclude.length > 0 || options.schemaOnly || options.dataOnly,
        warn: (message) => recordRunLog(ctx.store, runId, "warn", message),
      });
      if (plainCopyPath) await fs.promises.rm(plainCopyPath, { force: true });
      const verdict = verification.verified ? `verified: ${verification.checked} compared, all equal` : `NOT verified: ${verification.error?.message ?? `${verification.mismatches.length} difference(s)`}`;
      recordRunLog(ctx.store, runId, verification.verified ? "info" : "warn", `restore drill ${verdict}`);
      control.throwIfStopped();
    }
    const artifact: StagedArtifact = {
      ...staged,
      meta: {
        format: options.format,
        codec: options.codec,
        level: options.level,
        serverVersion: server.serverVersion.slice(0, 500),
        tablesCount: server.tablesCount ?? null,
        durationMs: Math.round(performance.now() - started),
        ratio: staged.rawSizeBytes > 0 ? Math.round((staged.sizeBytes / staged.rawSizeBytes) * 10_000) / 10_000 : null,
        ...(options.encryption ? { encrypted: true, recipient: options.encryption.recipient } : {}),
        ...(staged.parts ? { parts: staged.parts } : {}),
        ...(verification ? { verification } : {}),
        ...(dump?.databases ? { databases: dump.databases() } : {}),
      },
    };

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
        const error = stop?.kind === "fail" ? stop.error : toErrorBody(explainPathDenial(err, datasourceScope(ctx.store, datasourceId, "read")));
        transitionRun(ctx.store, runId, { to: "failed", error });
        log.warn({ code: error.code, details: error.details }, "backup failed");
      }
    } catch (transitionErr) {
      log.error({ err: transitionErr }, "could not record the end of the run");
    }
  } finally {
    // From here a pull goes by the run's record (completed: the staged file; else: nothing to pull).
    forgetGrowing(runId);
  }
}
