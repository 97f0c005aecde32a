import fs from "node:fs";
import { HoldfastError, type ArtifactMeta, type ArtifactPart, type CommandData } from "@holdfast/shared/protocol";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";
import { fromRow, getRun, type RunRecord, type RunRow } from "../queue/run-record.js";
import { appendEvent } from "../store/outbox.js";
import { appendRunLog } from "../store/run-logs.js";
import type { AgentStore } from "../store/store.js";

/** What the pipeline staged: recorded on the run when it completes. */
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


export interface StagedFile {
  run: RunRecord;
  path: string;
  sizeBytes: number;
  sha256: string;
  fileName: string;
  expiresAt: string;
}

/**
 * A completed run's staged file, checked on disk (size included). Past its TTL (swept or not yet):
 * 410 ARTIFACT_EXPIRED; otherwise missing: 404 ARTIFACT_NOT_FOUND.
 */
export function requireArtifact(store: AgentStore, runId: string): StagedFile {
  const run = getRun(store, runId);
  const missing = () => new HoldfastError("ARTIFACT_NOT_FOUND", `Run ${runId} has no staged artifact`, { runId });
  // Every completed run has an expiry: transitionRun records it, and migration v2 gave older rows theirs.
  if (!run || run.state !== "completed" || !run.artifactExpiresAt) throw missing();
  const expiresAt = run.artifactExpiresAt;
  if (run.artifactExpiredAt || (run.stagingPath && store.clock.now().toISOString() >= expiresAt)) {
    throw new HoldfastError("ARTIFACT_EXPIRED", `The staged artifact of run ${runId} expired at ${run.artifactExpiredAt ?? expiresAt}`, {
      runId,
      expiresAt,
    });
  }
  if (!run.stagingPath || run.sizeBytes === null || !run.sha256 || !run.fileName) throw missing();
  let st: fs.Stats;
  try {
    st = fs.lstatSync(run.stagingPath);
  } catch {
    throw missing();
  }
  if (!st.isFile() || st.size !== run.sizeBytes) throw missing();
  return { run, path: run.stagingPath, sizeBytes: run.sizeBytes, sha256: run.sha256, fileName: run.fileName, expiresAt };
}

export function getArtifactMetadata(store: AgentStore, runId: string): CommandData<"getArtifactMetadata"> {
  const a = requireArtifact(store, runId);
  return {
    runId,
    sizeBytes: a.sizeBytes,
    sha256: a.sha256,
    chunkSize: PIPELINE_CHUNK_BYTES,
    expiresAt: a.expiresAt,
    fileName: a.fileName,
  };
}

/** Completed runs whose staged artifact is past its TTL and still on disk. */
export function listExpiredArtifacts(store: AgentStore): RunRecord[] {
  const now = store.clock.now().toISOString();
  return (
    store.db
      .prepare("SELECT * FROM runs WHERE state = 'completed' AND staging_path IS NOT NULL AND artifact_expires_at IS NOT NULL AND artifact_expires_at <= ?")
      .all(now) as RunRow[]
  ).map(fromRow);
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
