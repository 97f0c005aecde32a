import {
  type ArtifactPart,
  type Verification,
  assertTransition,
  HoldfastError,
  resolveBackupOptions,
  type AgentRunState,
  type Codec,
  type DumpFormat,
  type ErrorBody,
  type EventData,
  type ResolvedBackupOptions,
  type RunKind,
  type RunTrigger,
} from "@holdfast/shared";
import { appendEvent } from "./outbox.js";
import { appendRunLog } from "./run-logs.js";
import type { AgentStore } from "./store.js";

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

/** The metadata backupCompleted carries beside size and hash. */
export interface ArtifactMeta {
  format: DumpFormat;
  codec: Codec;
  level: number | null;
  serverVersion?: string;
  tablesCount: number | null;
  durationMs: number;
  ratio: number | null;
  /** Present only on age-encrypted artifacts (the public key; the private one is never here). */
  encrypted?: boolean;
  recipient?: string;
  /** Where the artifact is split at maxFileSizeMb for its destinations, with each slice's SHA-256. */
  parts?: ArtifactPart[];
  /** The restore drill's verdict (`verify: true`). */
  verification?: Verification;
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

export interface StagedArtifact {
  sizeBytes: number;
  rawSizeBytes: number;
  sha256: string;
  fileName: string;
  stagingPath: string;
  /** Absent for artifacts of the walking skeleton's shape (plain, gzip). */
  meta?: ArtifactMeta;
  /** The slices of an artifact split at maxFileSizeMb (the staged file itself stays whole). */
  parts?: ArtifactPart[];
}

/** The TTL of a staged artifact when the caller names none (HOLDFAST_ARTIFACT_TTL_MS's default). */
export const DEFAULT_ARTIFACT_TTL_MS = 24 * 60 * 60 * 1000;

export type Transition =
  /** `dequeued`: the run waited in the queue, so backupDequeued precedes backupStarted. */
  | { to: "running"; dequeued?: boolean }
  | { to: "completed"; artifact: StagedArtifact; artifactExpiresAt?: string }
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
        const expiresAt = change.artifactExpiresAt ?? new Date(Date.parse(now) + DEFAULT_ARTIFACT_TTL_MS).toISOString();
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

/** A restore run entered a stage: recorded on the run (a failure names it) with a restoreStep event. */
export function recordRestoreStage(store: AgentStore, runId: string, stage: RestoreStage, message: string): void {
  store.transaction(() => {
    store.db.prepare("UPDATE runs SET restore_stage = ? WHERE run_id = ? AND state = 'running'").run(stage, runId);
    appendEvent(store, "restoreStep", runId, { step: stage, message: message.slice(0, 500) });
    appendRunLog(store, runId, "info", `[${stage}] ${message}`);
  });
}

/** Forgets where a completed run's file was, once the staging copy is gone. */
export function clearStagingPath(store: AgentStore, runId: string): void {
  store.db.prepare("UPDATE runs SET staging_path = NULL WHERE run_id = ?").run(runId);
}

/** The sweeper removed a completed run's artifact past its TTL: recorded with its artifactExpired event. */
export function markArtifactExpired(store: AgentStore, runId: string): void {
  store.transaction(() => {
    const now = store.clock.now().toISOString();
    store.db.prepare("UPDATE runs SET staging_path = NULL, artifact_expired_at = ? WHERE run_id = ?").run(now, runId);
    appendEvent(store, "artifactExpired", runId, { expiredAt: now });
    appendRunLog(store, runId, "info", "staged artifact removed: its TTL passed");
  });
}
