import { assertTransition, HoldfastError, resolveBackupOptions, type ErrorBody, type ResolvedBackupOptions, type RunKind, type RunTrigger } from "@holdfast/shared/protocol";
import type { StagedArtifact } from "../staging/staged-artifact.js";
import { appendEvent } from "../store/outbox.js";
import { appendRunLog } from "../store/run-logs.js";
import type { AgentStore } from "../store/store.js";
import { getRun, requireRun, type RestoreStage, type RunRecord } from "./run-record.js";

// How a run enters the runs table (in `queued`) and every change of its state afterwards: each move
// is checked by shared's state machine and written with its outbox event and run-log line in one
// transaction. Nothing else in the agent writes `runs.state`.

export interface NewRun {
  runId: string;
  datasourceId: string;
  trigger: RunTrigger;
  scheduleId: string | null;
  requestedBy: string;
  /** Absent: the run never expires in the queue (it is started at once). */
  queueExpiresAt?: string | null;
  /** Absent: the defaults (plain SQL, gzip -6). */
  options?: ResolvedBackupOptions;
  /** Absent: a backup. */
  kind?: RunKind;
  sourceRunId?: string | null;
}

/** Inserts a run in `queued`; the caller decides (in the same transaction) whether it starts at once. */
export function insertQueuedRun(store: AgentStore, run: NewRun): RunRecord {
  if (getRun(store, run.runId)) {
    throw new HoldfastError("ALREADY_EXISTS", `Run ${run.runId} already exists on this agent`, { runId: run.runId });
  }
  store.db
    .prepare(
      `INSERT INTO runs (run_id, datasource_id, trigger, schedule_id, requested_by, state, queued_at, queue_expires_at, options, kind, source_run_id)
       VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`,
    )
    .run(
      run.runId,
      run.datasourceId,
      run.trigger,
      run.scheduleId,
      run.requestedBy,
      store.clock.now().toISOString(),
      run.queueExpiresAt ?? null,
      JSON.stringify(run.options ?? resolveBackupOptions(undefined)),
      run.kind ?? "backup",
      run.sourceRunId ?? null,
    );
  return requireRun(store, run.runId);
}

export type Transition =
  /** `dequeued`: the run waited in the queue, so backupDequeued precedes backupStarted. */
  | { to: "running"; dequeued?: boolean }
  /** `artifactExpiresAt`: completion plus the agent's artifact TTL (RunContext.limits). */
  | { to: "completed"; artifact: StagedArtifact; artifactExpiresAt: string }
  /** A restore run that restored: no artifact of its own. */
  | { to: "completed"; restored: { durationMs: number } }
  /** `stage` (restores only): where it stopped; the run's last recorded stage when absent. */
  | { to: "failed"; error: ErrorBody; stage?: RestoreStage }
  | { to: "cancelled"; reason?: string | null }
  | { to: "expired" };

/**
 * The only way a run changes state: checks the move with shared's state machine, updates the row and
 * writes the matching event to the outbox, all in one transaction (both happen or neither does).
 */
export function transitionRun(store: AgentStore, runId: string, change: Transition): RunRecord {
  return store.transaction(() => {
    const run = requireRun(store, runId);
    assertTransition(run.state, change.to, runId);
    const now = store.clock.now().toISOString();
    if (run.kind === "restore") {
      writeRestoreTransition(store, run, change, now);
      return requireRun(store, runId);
    }
    const db = store.db;
    switch (change.to) {
      case "running":
        db.prepare("UPDATE runs SET state = 'running', started_at = ? WHERE run_id = ?").run(now, runId);
        if (change.dequeued) {
          const waitedMs = Math.max(0, Date.parse(now) - Date.parse(run.queuedAt));
          appendEvent(store, "backupDequeued", runId, { datasourceId: run.datasourceId, waitedMs });
        }
        appendEvent(store, "backupStarted", runId, { datasourceId: run.datasourceId, startedAt: now });
        appendRunLog(store, runId, "info", change.dequeued ? "left the queue and started" : "started");
        break;
      case "completed": {
        if (!("artifact" in change)) throw new HoldfastError("INTERNAL_ERROR", "A backup run completes with its artifact", { runId });
        const a = change.artifact;
        const expiresAt = change.artifactExpiresAt;
        db.prepare(
          `UPDATE runs SET state = 'completed', finished_at = ?, size_bytes = ?, raw_size_bytes = ?, sha256 = ?,
             file_name = ?, staging_path = ?, artifact_expires_at = ?, artifact_meta = ? WHERE run_id = ?`,
        ).run(now, a.sizeBytes, a.rawSizeBytes, a.sha256, a.fileName, a.stagingPath, expiresAt, a.meta ? JSON.stringify(a.meta) : null, runId);
        appendEvent(store, "backupCompleted", runId, {
          finishedAt: now,
          sizeBytes: a.sizeBytes,
          rawSizeBytes: a.rawSizeBytes,
          sha256: a.sha256,
          codec: a.meta?.codec ?? "gzip",
          fileName: a.fileName,
          ...(a.meta ?? {}),
        });
        appendRunLog(store, runId, "info", `completed: ${a.fileName}, ${a.sizeBytes} bytes, sha256 ${a.sha256}; staged until ${expiresAt}`);
        break;
      }
      case "failed":
        db.prepare("UPDATE runs SET state = 'failed', finished_at = ?, error = ? WHERE run_id = ?").run(now, JSON.stringify(change.error), runId);
        appendEvent(store, "backupFailed", runId, { finishedAt: now, error: change.error });
        appendRunLog(store, runId, "error", `failed ${change.error.code}: ${change.error.message}`);
        break;
      case "cancelled": {
        const reason = change.reason?.slice(0, 500) ?? null;
        db.prepare("UPDATE runs SET state = 'cancelled', finished_at = ? WHERE run_id = ?").run(now, runId);
        appendEvent(store, "backupCancelled", runId, { finishedAt: now, reason });
        appendRunLog(store, runId, "warn", `cancelled${reason ? `: ${reason}` : ""}`);
        break;
      }
      case "expired":
        db.prepare("UPDATE runs SET state = 'expired', finished_at = ? WHERE run_id = ?").run(now, runId);
        appendEvent(store, "backupExpired", runId, { finishedAt: now, queuedAt: run.queuedAt });
        appendRunLog(store, runId, "warn", `expired in the queue (queued at ${run.queuedAt})`);
        break;
    }
    return requireRun(store, runId);
  });
}

/** The restore side of transitionRun: the same moves, the restore events (inside its transaction). */
function writeRestoreTransition(store: AgentStore, run: RunRecord, change: Transition, now: string): void {
  const db = store.db;
  const runId = run.runId;
  switch (change.to) {
    case "running":
      db.prepare("UPDATE runs SET state = 'running', started_at = ?, restore_stage = 'download' WHERE run_id = ?").run(now, runId);
      appendEvent(store, "restoreStarted", runId, { datasourceId: run.datasourceId, sourceRunId: run.sourceRunId ?? runId, startedAt: now });
      appendRunLog(store, runId, "info", `restore of ${run.sourceRunId} started`);
      break;
    case "completed": {
      const durationMs = "restored" in change ? change.restored.durationMs : Math.max(0, Date.parse(now) - Date.parse(run.startedAt ?? now));
      db.prepare("UPDATE runs SET state = 'completed', finished_at = ? WHERE run_id = ?").run(now, runId);
      appendEvent(store, "restoreCompleted", runId, { finishedAt: now, durationMs });
      appendRunLog(store, runId, "info", `restore completed in ${durationMs} ms`);
      break;
    }
    case "failed": {
      const stage = change.stage ?? run.restoreStage ?? "download";
      db.prepare("UPDATE runs SET state = 'failed', finished_at = ?, error = ?, restore_stage = ? WHERE run_id = ?").run(now, JSON.stringify(change.error), stage, runId);
      appendEvent(store, "restoreFailed", runId, { finishedAt: now, error: change.error, stage });
      appendRunLog(store, runId, "error", `restore failed at ${stage}: ${change.error.code}: ${change.error.message}`);
      break;
    }
    case "cancelled": {
      const reason = change.reason?.slice(0, 500) ?? null;
      db.prepare("UPDATE runs SET state = 'cancelled', finished_at = ? WHERE run_id = ?").run(now, runId);
      appendEvent(store, "restoreCancelled", runId, { finishedAt: now, reason });
      appendRunLog(store, runId, "warn", `restore cancelled${reason ? `: ${reason}` : ""}`);
      break;
    }
    case "expired":
      // Restores never queue; the state machine allows this only from queued.
      db.prepare("UPDATE runs SET state = 'expired', finished_at = ? WHERE run_id = ?").run(now, runId);
      appendRunLog(store, runId, "warn", "restore expired before it started");
      break;
  }
}
