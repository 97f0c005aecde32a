export { SecretBox } from "./secret-box.js";
export { loadMasterKey } from "./master-key.js";
