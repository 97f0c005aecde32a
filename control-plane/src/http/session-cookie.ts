import { CSRF_HEADER, HoldfastError } from "@holdfast/shared";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { csrfTokenMatches } from "../sessions/session-token.js";
import type { HonoEnv } from "./types.js";

/**
 * The session cookie: httpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
 * Path=/. Over TLS (directly or as a trusted proxy reports) it is also Secure and named with the
 * `__Host-` prefix, which a browser accepts only from a secure origin for this exact host, so a
 * sibling subdomain cannot plant one. Over plain HTTP (the loopback default) neither is possible.
 */
export const SESSION_COOKIE_NAME = "holdfast_session";
const COOKIE = SESSION_COOKIE_NAME;

const cookiePrefix = (c: Context<HonoEnv>) => (c.get("client").tls ? ("host" as const) : undefined);

export function readSessionCookie(c: Context<HonoEnv>): string | undefined {
  return getCookie(c, COOKIE, cookiePrefix(c)) || undefined;
}

export function setSessionCookie(c: Context<HonoEnv>, token: string, maxAgeMs: number): void {
  const prefix = cookiePrefix(c);
  // One Set-Cookie per answer: a stale cookie's clearing (by authenticate) gives way to the new one.
  c.header("set-cookie", undefined);
  setCookie(c, COOKIE, token, { httpOnly: true, sameSite: "Strict", secure: prefix !== undefined, path: "/", maxAge: Math.floor(maxAgeMs / 1000), ...(prefix ? { prefix } : {}) });
}

export function clearSessionCookie(c: Context<HonoEnv>): void {
  const prefix = cookiePrefix(c);
  setCookie(c, COOKIE, "", { httpOnly: true, sameSite: "Strict", secure: prefix !== undefined, path: "/", maxAge: 0, ...(prefix ? { prefix } : {}) });
}

export const SAFE_METHODS = /^(GET|HEAD|OPTIONS)$/;

/**
 * A request that changes something and is signed in by the cookie must prove it comes from our own
 * page: the session's CSRF token in X-CSRF-Token (a header no other site's page can set without our
 * CORS consent, which we never give), and, where the browser says so, not from another site.
 */
export function requireCsrf(c: Context<HonoEnv>, sessionToken: string): void {
  const site = c.req.header("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") {
    throw new HoldfastError("CSRF_CHECK_FAILED", `Refused: a change signed in by the session cookie came from another site (Sec-Fetch-Site: ${site}); make it from a page of this origin`);
  }
  const offered = c.req.header(CSRF_HEADER);
  if (!offered) {
    throw new HoldfastError("CSRF_CHECK_FAILED", `Send the ${CSRF_HEADER} header with the csrfToken of GET /api/v1/session: a change signed in by the session cookie needs it`);
  }
  if (!csrfTokenMatches(sessionToken, offered)) {
    throw new HoldfastError("CSRF_CHECK_FAILED", `The ${CSRF_HEADER} header is not this session's token: send the csrfToken of GET /api/v1/session`);
  }
}
