import { HoldfastError, resolveBackupOptions, type AgentRunState, type ArtifactMeta, type ErrorBody, type EventData, type ResolvedBackupOptions, type RunKind, type RunTrigger } from "@holdfast/shared/protocol";
import type { AgentStore } from "../store/store.js";

// A run as the agent records it (backups and restores share the `runs` table). Reading only: the
// queue's questions are in queue-queries.ts, every state change is in transitions.ts.

/** Where a restore run is; a failed one says which of these it stopped in. */
export type RestoreStage = EventData<"restoreFailed">["stage"];

export interface RunRecord {
  runId: string;
  /** "backup" or "restore" (drills come later): the events a transition writes depend on it. */
  kind: RunKind;
  /** A restore: the backup run whose artifact it restores. */
  sourceRunId: string | null;
  restoreStage: RestoreStage | null;
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
  /** When a queued run stops waiting and ends `expired`. */
  queueExpiresAt: string | null;
  /** When a completed run's staged artifact is removed by the sweeper (readArtifact then answers 410). */
  artifactExpiresAt: string | null;
  /** Set once the sweeper removed the artifact past its TTL. */
  artifactExpiredAt: string | null;
  /** What the run dumps; runs recorded before store v3 read as the defaults (plain, gzip -6). */
  options: ResolvedBackupOptions;
  artifactMeta: ArtifactMeta | null;
}

/** A `runs` row as SQLite returns it; `fromRow` turns it into a RunRecord. */
export interface RunRow {
  run_id: string;
  kind: RunKind;
  source_run_id: string | null;
  restore_stage: RestoreStage | null;
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
  queue_expires_at: string | null;
  artifact_expires_at: string | null;
  artifact_expired_at: string | null;
  options: string | null;
  artifact_meta: string | null;
}

export function fromRow(r: RunRow): RunRecord {
  return {
    runId: r.run_id,
    kind: r.kind,
    sourceRunId: r.source_run_id,
    restoreStage: r.restore_stage,
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
    queueExpiresAt: r.queue_expires_at,
    artifactExpiresAt: r.artifact_expires_at,
    artifactExpiredAt: r.artifact_expired_at,
    options: r.options ? (JSON.parse(r.options) as ResolvedBackupOptions) : resolveBackupOptions(undefined),
    artifactMeta: r.artifact_meta ? (JSON.parse(r.artifact_meta) as ArtifactMeta) : null,
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
