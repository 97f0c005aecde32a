import { basename } from "node:path";
import { artifactKindOf } from "@holdfast/shared";
import type { ArtifactMeta, RunRow } from "../runs/get-run.js";
import { partNames } from "./object-name.js";

/**
 * `<artifact>.json`, written beside every delivered artifact after the artifact itself: with it, a
 * restore needs the destination alone (which engine, how to decompress and decrypt, which hash to
 * check, which parts to join in which order). It holds the age recipient, a public key; never a
 * secret.
 */
export interface ArtifactSidecar {
  holdfastSidecar: 1;
  runId: string;
  datasourceId: string;
  engine: string | null;
  /** The agent's file name; the object's name is the sidecar's own minus `.json`. */
  fileName: string | null;
  sha256: string;
  sizeBytes: number;
  rawSizeBytes: number | null;
  format: string | null;
  codec: string | null;
  level: number | null;
  serverVersion: string | null;
  createdAt: string;
  finishedAt: string | null;
  encrypted: boolean;
  recipient: string | null;
  /** A split artifact: its parts in order, each with its object name and SHA-256; null when whole. */
  parts: { index: number; name: string; offset: number; sizeBytes: number; sha256: string }[] | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function buildSidecar(run: RunRow, engine: string | null, objectName: string): ArtifactSidecar {
  const meta = run.artifactMeta ? (JSON.parse(run.artifactMeta) as ArtifactMeta) : null;
  const kind = run.fileName ? artifactKindOf(basename(run.fileName)) : null;
  const parts = meta?.parts && meta.parts.length > 0 ? meta.parts : null;
  const names = parts ? partNames(basename(objectName), parts) : [];
  return {
    holdfastSidecar: 1,
    runId: run.id,
    datasourceId: run.datasourceId,
    engine,
    fileName: run.fileName,
    sha256: run.sha256 ?? "",
    sizeBytes: run.sizeBytes ?? 0,
    rawSizeBytes: run.rawSizeBytes,
    format: meta?.format ?? kind?.format ?? null,
    codec: meta?.codec ?? kind?.codec ?? null,
    level: meta?.level ?? null,
    serverVersion: meta?.serverVersion ?? null,
    createdAt: new Date(run.createdAt).toISOString(),
    finishedAt: iso(run.finishedAt),
    encrypted: meta?.encrypted ?? kind?.encrypted ?? false,
    recipient: meta?.recipient ?? null,
    // Names relative to the sidecar's folder: the listing beside it shows them as they are.
    parts: parts ? parts.map((p, i) => ({ index: p.index, name: names[i]!, offset: p.offset, sizeBytes: p.sizeBytes, sha256: p.sha256 })) : null,
  };
}
