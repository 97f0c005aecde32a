import { ErrorCode } from "@holdfast/shared";
import type { Context, MiddlewareHandler } from "hono";
import { METHOD_NAME_ALL } from "hono/router";
import { matchedRoutes } from "hono/route";
import { auditActor, recordAudit } from "../audit/record-audit.js";
import type { AppContext } from "../context.js";
import type { HonoEnv } from "./types.js";

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The route hono matched, as `/users/:id` relative to its base path, or undefined when none did. */
function routePattern(c: Context<HonoEnv>): string | undefined {
  const route = matchedRoutes(c).find((r) => r.method !== METHOD_NAME_ALL);
  return route?.path.slice(route.basePath.length);
}

/** An id as the path carried it, cut to the length of any id of ours (ids.ts): a junk path stays a short record. */
function pathValue(segment: string): string {
  let value = segment;
  try {
    value = decodeURIComponent(segment);
  } catch {
    // A malformed escape is recorded as sent; the route's validator refused it.
  }
  return value.slice(0, 128);
}

/** The path's ids by the pattern's names: `/users/:id` over `/users/usr_1` → `{id: "usr_1"}`. */
function pathIds(pattern: string, path: string): Record<string, string> {
  const names = pattern.split("/");
  const values = path.split("/").slice(-names.length);
  const ids: Record<string, string> = {};
  names.forEach((name, i) => {
    if (name.startsWith(":") && values[i] !== undefined) ids[name.slice(1)] = pathValue(values[i]);
  });
  return ids;
}

/** The names of the fields of the validated JSON body (the schema's keys only), never their values. */
function sentFields(c: Context<HonoEnv>): string[] {
  const body = (c.req.valid as (target: "json") => unknown)("json");
  return body !== null && typeof body === "object" && !Array.isArray(body) ? Object.keys(body) : [];
}

/**
 * What the answer says about the outcome: a refusal's catalog code, or the id of what a 201/202
 * created (`id`, `runId`). Read from a clone, and only these fields are kept: an answer may carry a
 * secret shown once (a new token, a generated password), which must not reach the audit log.
 */
async function outcomeOf(res: Response): Promise<{ errorCode: ErrorCode | null; created: Record<string, string> }> {
  const created: Record<string, string> = {};
  const json = (res.headers.get("content-type") ?? "").includes("application/json");
  if (!json || (res.status < 400 && res.status !== 201 && res.status !== 202)) return { errorCode: null, created };
  const body = (await res.clone().json().catch(() => null)) as Record<string, unknown> | null;
  if (res.status >= 400) {
    const code = ErrorCode.safeParse((body?.error as { code?: unknown } | undefined)?.code);
    return { errorCode: code.success ? code.data : "INTERNAL_ERROR", created };
  }
  for (const key of ["id", "runId"]) if (typeof body?.[key] === "string") created[key] = body[key];
  return { errorCode: null, created };
}

/**
 * Records every mutating `/api/v1` call an authenticated user made, answered however it was (a
 * refusal by role included, hence placed before `authenticate` and writing only once a user is
 * known): who, what route, which ids, which fields, the outcome, from where. Unauthenticated calls
 * are not recorded, so no one without a credential can fill the table. The write never fails the
 * request (`recordAudit` logs its own failure).
 */
export function auditTrail(ctx: AppContext): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    await next();
    const user = c.get("user");
    if (!MUTATING.has(c.req.method) || !user) return;
    const pattern = routePattern(c);
    if (pattern === undefined) return;
    try {
      const { errorCode, created } = await outcomeOf(c.res);
      const target = pathIds(pattern, c.req.path);
      // A restore answers with its own `runId`: it must not hide the backup's, from the path.
      for (const [key, id] of Object.entries(created)) target[key in target ? `created${key[0]!.toUpperCase()}${key.slice(1)}` : key] = id;
      await recordAudit(
        { ...ctx, log: c.get("log") ?? ctx.log },
        {
          action: `${c.req.method} ${pattern}`,
          actor: auditActor(user),
          target,
          fields: sentFields(c),
          status: c.res.status,
          errorCode,
          clientAddress: c.get("client")?.address ?? "unknown",
          requestId: c.get("requestId") ?? null,
        },
      );
    } catch (err) {
      (c.get("log") ?? ctx.log).error({ err }, "audit record not written");
    }
  };
}
