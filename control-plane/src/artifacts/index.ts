export { DownloadTokens, DOWNLOAD_TOKEN_TTL_MS } from "./download-tokens.js";
export { serveDownload } from "./serve-download.js";
export { UploadTokens, UPLOAD_TOKEN_TTL_MS } from "./upload-tokens.js";
export { receiveUpload, currentUploadOffset } from "./receive-upload.js";
export { createPuller, type Puller, type PullerOptions } from "./pull-artifact.js";
export { downloadArtifact } from "./download-artifact.js";
export { deleteArtifact } from "./delete-artifact.js";
