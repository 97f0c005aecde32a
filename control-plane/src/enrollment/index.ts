export { createEnrollmentToken, issueEnrollmentToken, parseTtl, ENROLLMENT_TOKEN_PREFIX, DEFAULT_ENROLLMENT_TTL_MS } from "./create-token.js";
export { enrollAgent } from "./enroll-agent.js";
export { listPendingEnrollmentTokens, revokeEnrollmentToken, type PendingEnrollmentToken } from "./pending-tokens.js";
export { enrollCommands, type EnrollPins, type InstallCommand, type ReadyCommand } from "./enroll-commands.js";
