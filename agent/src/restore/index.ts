export { startRestore } from "./start-restore.js";
export { executeRestore, restoreFileOf, type RestoreDeps } from "./execute-restore.js";
export { downloadArtifact, type DownloadOptions, type DownloadResult } from "./download-artifact.js";
export { verifyArtifact } from "./verify-artifact.js";
export { restoreTargetFor, type RestoreTarget, type RestoreTargetOptions } from "./restore-target.js";
export { artifactKindToRestore, type ArtifactKind } from "./artifact-kind.js";
export { restoreStream } from "./restore-target.js";
export { restoreFromFolder, verifyFromFolder, type FolderRestoreOptions, type VerifiedArtifact } from "./restore-from-folder.js";
export { readSidecar, type LocalArtifact, type ArtifactFile } from "./read-sidecar.js";
