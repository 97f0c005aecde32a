import { artifactKindOf, HoldfastError, type CommandPayload, type Codec, type DumpFormat } from "@holdfast/shared/protocol";

export interface ArtifactKind {
  format: DumpFormat;
  codec: Codec;
  encrypted: boolean;
}

/**
 * What the artifact to restore is: as the control plane recorded it from backupCompleted, else read
 * from its file name (runs recorded before the control plane kept it); VALIDATION_FAILED otherwise.
 */
export function artifactKindToRestore(payload: Pick<CommandPayload<"startRestore">, "fileName" | "artifact">): ArtifactKind {
  const kind = payload.artifact ?? artifactKindOf(payload.fileName);
  if (!kind) throw new HoldfastError("VALIDATION_FAILED", `Cannot tell the format of artifact ${payload.fileName.slice(0, 255)}`, { fileName: payload.fileName.slice(0, 255) });
  return kind;
}
