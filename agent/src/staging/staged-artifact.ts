import fs from "node:fs";
import { HoldfastError, type CommandData } from "@holdfast/shared";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";
import { DEFAULT_ARTIFACT_TTL_MS, getRun, type RunRecord } from "../queue/run-record.js";
import type { AgentStore } from "../store/store.js";

export interface StagedFile {
  run: RunRecord;
  path: string;
  sizeBytes: number;
  sha256: string;
  fileName: string;
  expiresAt: string;
}

function expiresAtOf(run: RunRecord): string {
  return run.artifactExpiresAt ?? new Date(Date.parse(run.finishedAt ?? "1970-01-01T00:00:00Z") + DEFAULT_ARTIFACT_TTL_MS).toISOString();
}

/**
 * A completed run's staged file, checked on disk (size included). Past its TTL (swept or not yet):
 * 410 ARTIFACT_EXPIRED; otherwise missing: 404 ARTIFACT_NOT_FOUND.
 */
export function requireArtifact(store: AgentStore, runId: string): StagedFile {
  const run = getRun(store, runId);
  const missing = () => new HoldfastError("ARTIFACT_NOT_FOUND", `Run ${runId} has no staged artifact`, { runId });
  if (!run || run.state !== "completed") throw missing();
  const expiresAt = expiresAtOf(run);
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
