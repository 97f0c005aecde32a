export { signIn, sessionView, startSession, type SignedIn } from "./sign-in.js";
export { endSession, pruneSessions, resolveSession, type ResolvedSession, type SessionContext, TOUCH_INTERVAL_MS } from "./resolve-session.js";
export { csrfTokenFor, csrfTokenMatches, SESSION_TOKEN_PREFIX } from "./session-token.js";
export { FIRST_LOCK_MS, MAX_LOCK_MS, lockMsAfter } from "./sign-in-lock.js";
