import { createHmac } from "node:crypto";
import { constantTimeEqual } from "../crypto.js";

/** The cookie's value: 32 random bytes after a prefix leak scanners can find. Stored only as SHA-256. */
export const SESSION_TOKEN_PREFIX = "hf_ses_";

/**
 * The session's CSRF token, derived from the session's secret rather than stored: HMAC-SHA-256 keyed
 * by the cookie's value. Whoever can compute it holds the cookie already; the database (which has
 * only the cookie's hash) cannot; and GET /session can hand it to a console again at any time.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update("holdfast csrf v1").digest("base64url");
}

export function csrfTokenMatches(sessionToken: string, offered: string): boolean {
  return constantTimeEqual(csrfTokenFor(sessionToken), offered);
}

export function looksLikeSessionToken(value: string): boolean {
  return value.startsWith(SESSION_TOKEN_PREFIX) && value.length <= 100;
}
