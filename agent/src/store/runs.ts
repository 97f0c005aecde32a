import {
  assertTransition,
  HoldfastError,
  type AgentRunState,
  type ErrorBody,
  type RunTrigger,
} from "@holdfast/shared";
import { appendEvent } from "./outbox.js";
import type { AgentStore } from "./store.js";

export interface RunRecord {
  runId: string;
  datasourceId: string;
  trigger: RunTrigger;
  scheduleId: string | null;
  requestedBy: string;
  state: AgentRunState;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  sizeBytes: number | null;
  rawSizeBytes: number | null;
  sha256: string | null;
  fileName: string | null;
  stagingPath: string | null;
  error: ErrorBody | null;
}

interface RunRow {
  run_id: string;
  datasource_id: string;
  trigger: RunTrigger;
  schedule_id: string | null;
  requested_by: string;
  state: AgentRunState;
  queued_at: string;
  started_at: string | null;
  finished_at: string | null;
  size_bytes: number | null;
  raw_size_bytes: number | null;
  sha256: string | null;
  file_name: string | null;
  staging_path: string | null;
  error: string | null;
}

function fromRow(r: RunRow): RunRecord {
  return {
    runId: r.run_id,
    datasourceId: r.datasource_id,
    trigger: r.trigger,
    scheduleId: r.schedule_id,
    requestedBy: r.requested_by,
    state: r.state,
    queuedAt: r.queued_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    sizeBytes: r.size_bytes,
    rawSizeBytes: r.raw_size_bytes,
    sha256: r.sha256,
    fileName: r.file_name,
    stagingPath: r.staging_path,
    error: r.error ? (JSON.parse(r.error) as ErrorBody) : null,
  };
}

export function getRun(store: AgentStore, runId: string): RunRecord | null {
  const row = store.db.prepare("SELECT * FROM runs WHERE run_id = ?").get(runId) as RunRow | undefined;
  return row ? fromRow(row) : null;
}

export function requireRun(store: AgentStore, runId: string): RunRecord {
  const run = getRun(store, runId);
  if (!run) throw new HoldfastError("RUN_NOT_FOUND", `No run ${runId} on this agent`, { runId });
  return run;
}

export function findRunningRun(store: AgentStore): RunRecord | null {
  const row = store.db.prepare("SELECT * FROM runs WHERE state = 'running' LIMIT 1").get() as RunRow | undefined;
  return row ? fromRow(row) : null;
}

/** FIFO: insertion order (rowid), which is also queued_at order on one agent. */
export function listQueuedRuns(store: AgentStore): RunRecord[] {
  return (store.db.prepare("SELECT * FROM runs WHERE state = 'queued' ORDER BY rowid").all() as RunRow[]).map(fromRow);
}

/** 1-based place in the queue (1 = next to run), or null if the run is not queued. */
export function queuedPosition(store: AgentStore, runId: string): number | null {
  const row = store.db
    .prepare(
      `SELECT COUNT(*) AS n FROM runs WHERE state = 'queued'
         AND rowid <= (SELECT rowid FROM runs WHERE run_id = ? AND state = 'queued')`,
    )
    .get(runId) as { n: number };
  return row.n > 0 ? row.n : null;
}

export interface NewRun {
  runId: string;
  datasourceId: string;
  trigger: RunTrigger;
  scheduleId: string | null;
  requestedBy: string;
}

/** Inserts a run in `queued`; the caller decides (in the same transaction) whether it starts at once. */
export function insertQueuedRun(store: AgentStore, run: NewRun): RunRecord {
  if (getRun(store, run.runId)) {
    throw new HoldfastError("ALREADY_EXISTS", `Run ${run.runId} already exists on this agent`, { runId: run.runId });
  }
  store.db
    .prepare(
      `INSERT INTO runs (run_id, datasource_id, trigger, schedule_id, requested_by, state, queued_at)
       VALUES (?, ?, ?, ?, ?, 'queued', ?)`,
    )
    .run(run.runId, run.datasourceId, run.trigger, run.scheduleId, run.requestedBy, store.clock.now().toISOString());
  return requireRun(store, run.runId);
}

export interface StagedArtifact {
  sizeBytes: number;
  rawSizeBytes: number;
  sha256: string;
  fileName: string;
  stagingPath: string;
}

export type Transition =
  | { to: "running" }
  | { to: "completed"; artifact: StagedArtifact }
  | { to: "failed"; error: ErrorBody }
  | { to: "cancelled" }
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
    const db = store.db;
    switch (change.to) {
      case "running":
        db.prepare("UPDATE runs SET state = 'running', started_at = ? WHERE run_id = ?").run(now, runId);
        appendEvent(store, "backupStarted", runId, { datasourceId: run.datasourceId, startedAt: now });
        break;
      case "completed": {
        const a = change.artifact;
        db.prepare(
          `UPDATE runs SET state = 'completed', finished_at = ?, size_bytes = ?, raw_size_bytes = ?, sha256 = ?,
             file_name = ?, staging_path = ? WHERE run_id = ?`,
        ).run(now, a.sizeBytes, a.rawSizeBytes, a.sha256, a.fileName, a.stagingPath, runId);
        appendEvent(store, "backupCompleted", runId, {
          finishedAt: now,
          sizeBytes: a.sizeBytes,
          rawSizeBytes: a.rawSizeBytes,
          sha256: a.sha256,
          codec: "gzip",
          fileName: a.fileName,
        });
        break;
      }
      case "failed":
        db.prepare("UPDATE runs SET state = 'failed', finished_at = ?, error = ? WHERE run_id = ?").run(now, JSON.stringify(change.error), runId);
        appendEvent(store, "backupFailed", runId, { finishedAt: now, error: change.error });
        break;
      case "cancelled":
        db.prepare("UPDATE runs SET state = 'cancelled', finished_at = ? WHERE run_id = ?").run(now, runId);
        appendEvent(store, "backupCancelled", runId, { finishedAt: now, reason: null });
        break;
      case "expired":
        // protocol v1 has no event for an expired queued run yet; the state is still recorded.
        db.prepare("UPDATE runs SET state = 'expired', finished_at = ? WHERE run_id = ?").run(now, runId);
        break;
    }
    return requireRun(store, runId);
  });
}

/** Forgets where a completed run's file was, once the staging copy is gone. */
export function clearStagingPath(store: AgentStore, runId: string): void {
  store.db.prepare("UPDATE runs SET staging_path = NULL WHERE run_id = ?").run(runId);
}
