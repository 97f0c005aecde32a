import { basename } from "node:path";
import { type ArtifactSidecar, artifactKindOf, Engine } from "@holdfast/shared";
import type { ArtifactMeta, RunRow } from "../runs/get-run.js";
import { partNames } from "./object-name.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The sidecar of a run delivered under `objectName` (its schema: shared `ArtifactSidecar`). */
export function buildSidecar(run: RunRow, engine: string | null, objectName: string): ArtifactSidecar {
  const meta = run.artifactMeta ? (JSON.parse(run.artifactMeta) as ArtifactMeta) : null;
  const kind = run.fileName ? artifactKindOf(basename(run.fileName)) : null;
  const parts = meta?.parts && meta.parts.length > 0 ? meta.parts : null;
  const names = parts ? partNames(basename(objectName), parts) : [];
  return {
    holdfastSidecar: 1,
    runId: run.id,
    datasourceId: run.datasourceId,
    // The datasource row holds a string; only an engine of the schema goes into the sidecar.
    engine: Engine.safeParse(engine).data ?? null,
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
