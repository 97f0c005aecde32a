export { UploadTokens, UPLOAD_TOKEN_TTL_MS } from "./upload-tokens.js";
export { receiveUpload, currentUploadOffset } from "./receive-upload.js";
export { createPuller, type Puller, type PullerOptions } from "./pull-artifact.js";
