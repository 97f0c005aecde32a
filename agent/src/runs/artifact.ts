import fs from "node:fs";
import { HoldfastError, type CommandData } from "@holdfast/shared";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/compress.js";
import { getRun, type RunRecord } from "../store/runs.js";
import type { AgentStore } from "../store/store.js";
import { STAGING_TTL_MS } from "./staging.js";

export interface StagedFile {
  run: RunRecord;
  path: string;
  sizeBytes: number;
  sha256: string;
  fileName: string;
}

/** A completed run's staged file, checked on disk (size included): 404 ARTIFACT_NOT_FOUND otherwise. */
export function requireArtifact(store: AgentStore, runId: string): StagedFile {
  const run = getRun(store, runId);
  const missing = () => new HoldfastError("ARTIFACT_NOT_FOUND", `Run ${runId} has no staged artifact`, { runId });
  if (!run || run.state !== "completed" || !run.stagingPath || run.sizeBytes === null || !run.sha256 || !run.fileName) throw missing();
  let st: fs.Stats;
  try {
    st = fs.lstatSync(run.stagingPath);
  } catch {
    throw missing();
  }
  if (!st.isFile() || st.size !== run.sizeBytes) throw missing();
  return { run, path: run.stagingPath, sizeBytes: run.sizeBytes, sha256: run.sha256, fileName: run.fileName };
}

export function getArtifactMetadata(store: AgentStore, runId: string): CommandData<"getArtifactMetadata"> {
  const a = requireArtifact(store, runId);
  const finished = new Date(a.run.finishedAt ?? store.clock.now().toISOString());
  return {
    runId,
    sizeBytes: a.sizeBytes,
    sha256: a.sha256,
    chunkSize: PIPELINE_CHUNK_BYTES,
    expiresAt: new Date(finished.getTime() + STAGING_TTL_MS).toISOString(),
    fileName: a.fileName,
  };
}
