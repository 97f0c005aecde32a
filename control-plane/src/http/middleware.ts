import { HoldfastError, newId, type Role, type RouteAccess, roleAtLeast, roleForRoute } from "@holdfast/shared";
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { METHOD_NAME_ALL } from "hono/router";
import { matchedRoutes } from "hono/route";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppContext } from "../context.js";
import { resolveSession } from "../sessions/resolve-session.js";
import { resolveApiToken } from "../users/api-tokens.js";
import { clientInfo } from "./client-address.js";
import { clearSessionCookie, readSessionCookie, requireCsrf, SAFE_METHODS } from "./session-cookie.js";
import type { Credentials, HonoEnv } from "./types.js";

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Every request gets an id, echoed in `x-request-id`, and a logger carrying it: domain functions get
 * that logger through `scoped()`, so their lines carry `requestId` too. One access line per request,
 * with the client's address and, for a refusal, its catalog code: a refused request is logged there
 * once, not again by the code that refused it.
 */
export function requestContext(ctx: AppContext): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const offered = c.req.header("x-request-id");
    const id = offered && SAFE_REQUEST_ID.test(offered) ? offered : newId("req");
    const started = performance.now();
    c.set("requestId", id);
    c.set("log", ctx.log.child({ requestId: id }));
    c.set("client", clientInfo(c.env?.incoming?.socket, (name) => c.req.header(name), ctx.env.trustedProxies));
    c.header("x-request-id", id);
    await next();
    const code = c.get("errorCode");
    const line = { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started), address: c.get("client").address, ...(code ? { code } : {}) };
    // Probes and scrapes come every few seconds: their lines only at debug (a refused scrape stays at info).
    if (c.req.path === "/healthz" || (c.req.path === "/metrics" && c.res.status === 200)) c.get("log").debug(line, "request");
    else c.get("log").info(line, "request");
  };
}

/** The application context with this request's logger, for the one domain call of a route. */
export function scoped(ctx: AppContext, c: Context<HonoEnv>): AppContext {
  return { ...ctx, log: c.get("log") ?? ctx.log };
}

/**
 * Who is calling, then whether the matched route lets them, from the one table in shared
 * (`API_ROUTE_ROLES`). Credentials: `Authorization: Bearer hf_api_…`, else the session cookie, whose
 * requests need the CSRF token when they change something. Checked here, before the route's
 * validators, so a refusal always names the role the route itself needs. An `open` route runs for
 * anyone; valid credentials sent to it still set the user (`GET /session`), and invalid ones are
 * ignored there (a stale cookie must not stop a sign-in). A request that matches no route needs
 * credentials too, then goes on to the 404.
 */
export function authenticate(ctx: AppContext): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const access = routeAccess(c);
    if (access === "open") {
      await identify(ctx, c).catch((err: unknown) => {
        if (!(err instanceof HoldfastError && err.status === 401)) throw err;
      });
    } else {
      const credentials = await identify(ctx, c);
      if (!credentials) throw new HoldfastError("UNAUTHENTICATED", "Sign in (POST /api/v1/session) or send Authorization: Bearer <API token>");
      if (credentials.via === "session" && !SAFE_METHODS.test(c.req.method)) requireCsrf(c, credentials.token);
      if (access) requireRole(c, access);
    }
    await next();
  };
}

/** What the matched route's entry in API_ROUTE_ROLES says; undefined when no route matched. */
function routeAccess(c: Context<HonoEnv>): RouteAccess | undefined {
  const route = matchedRoutes(c).find((r) => r.method !== METHOD_NAME_ALL);
  if (!route) return undefined;
  const pattern = route.path.slice(route.basePath.length);
  const access = roleForRoute(route.method, pattern);
  // Refused to everyone rather than guessed: the route test fails for such a route.
  if (!access) throw new Error(`${route.method} ${pattern} has no entry in API_ROUTE_ROLES`);
  return access;
}

/**
 * The credentials sent, resolved to their user (set on the context), or undefined when none were
 * sent. A bearer token wins over a cookie. Both end in `signedInUser` (users/signed-in-user.ts), the
 * one place an account is let in or refused. A session cookie that is refused is cleared.
 */
async function identify(ctx: AppContext, c: Context<HonoEnv>): Promise<Credentials | undefined> {
  const header = c.req.header("authorization");
  if (header !== undefined) {
    if (!header.startsWith("Bearer ")) throw new HoldfastError("UNAUTHENTICATED", "Send Authorization: Bearer <API token>, or sign in (POST /api/v1/session)");
    c.set("user", await resolveApiToken(ctx, header.slice(7).trim()));
    return setCredentials(c, { via: "token" });
  }
  const token = readSessionCookie(c);
  if (token === undefined) return undefined;
  const resolved = await resolveSession(scoped(ctx, c), token).catch((err: unknown) => {
    if (err instanceof HoldfastError && err.code === "SESSION_EXPIRED") clearSessionCookie(c);
    throw err;
  });
  c.set("user", resolved.user);
  return setCredentials(c, { via: "session", token, session: resolved.session });
}

function setCredentials(c: Context<HonoEnv>, credentials: Credentials): Credentials {
  c.set("credentials", credentials);
  return credentials;
}

function requireRole(c: Context<HonoEnv>, needed: Role): void {
  const user = c.get("user");
  if (!roleAtLeast(user.role, needed)) {
    throw new HoldfastError("FORBIDDEN", `This needs the ${needed} role; you are ${user.role}`, { needed, role: user.role });
  }
}

function fromHttpException(err: HTTPException): HoldfastError {
  if (err.status === 413) return new HoldfastError("PAYLOAD_TOO_LARGE", "The request body is too large");
  if (err.status === 401) return new HoldfastError("UNAUTHENTICATED", err.message || "Unauthenticated");
  if (err.status === 404) return new HoldfastError("NOT_FOUND", err.message || "Not found");
  if (err.status < 500) return new HoldfastError("VALIDATION_FAILED", err.message || "Bad request");
  return new HoldfastError("INTERNAL_ERROR", "Internal error");
}

/**
 * The one error renderer: `{error: {code, message, retryable, details?, requestId}}` with the
 * catalog's status. Anything that is not a HoldfastError is logged with its stack here and answered
 * as a bare INTERNAL_ERROR: no message, stack or driver detail reaches the client.
 */
export function errorHandler(ctx: AppContext): ErrorHandler<HonoEnv> {
  return (err, c) => {
    const reqId = c.get("requestId") ?? newId("req");
    let error: HoldfastError;
    if (err instanceof HoldfastError) error = err;
    else if (err instanceof HTTPException) error = fromHttpException(err);
    else {
      (c.get("log") ?? ctx.log).error({ err, requestId: reqId, method: c.req.method, path: c.req.path }, "unhandled error");
      error = new HoldfastError("INTERNAL_ERROR", "Internal error");
    }
    if (error.status >= 500) (c.get("log") ?? ctx.log).warn({ requestId: reqId, code: error.code, path: c.req.path }, error.message);
    c.header("x-request-id", reqId);
    // A refusal is logged once, on the request's access line (requestContext), with its code.
    c.set("errorCode", error.code);
    const retryAfter = error.details?.retryAfterSeconds;
    if (typeof retryAfter === "number") c.header("retry-after", String(retryAfter));
    return c.json({ error: { ...error.toBody(), requestId: reqId } }, error.status as ContentfulStatusCode);
  };
}

export const notFound: NotFoundHandler<HonoEnv> = (c) => {
  const reqId = c.get("requestId") ?? newId("req");
  const error = new HoldfastError("NOT_FOUND", `No route ${c.req.method} ${c.req.path}`);
  return c.json({ error: { ...error.toBody(), requestId: reqId } }, 404);
};
