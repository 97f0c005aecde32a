export { createEnrollmentToken, parseTtl, ENROLLMENT_TOKEN_PREFIX, DEFAULT_ENROLLMENT_TTL_MS, MAX_ENROLLMENT_TTL_MS } from "./create-token.js";
export { enrollAgent } from "./enroll-agent.js";
