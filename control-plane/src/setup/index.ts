export { completeSetup } from "./complete-setup.js";
export { anyUserExists, issueSetupToken, SETUP_TOKEN_PREFIX, setupUrl } from "./setup-token.js";
