import { zValidator } from "@hono/zod-validator";
import { invalidRequest, parseOrThrow, validationError } from "@holdfast/shared";
import type { Context, MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { HonoEnv } from "./types.js";

/**
 * Route validators: a route names the shared schema of its body, query and path, the request is
 * checked before the handler runs (VALIDATION_FAILED listing each issue), the handler reads the
 * parsed value with `c.req.valid(…)`, and `hc<AppType>` carries the schema's input type to clients.
 */

/** Which part of a request a route's validator checks: what the OpenAPI document lists for the route. */
export type RequestPart = "path" | "query" | "header" | "body";

const declared = new WeakMap<object, { part: RequestPart; schema: z.ZodType }>();

/** Records the schema a validator checks, so the OpenAPI document is built from the very same schemas. */
function declare<M extends object>(middleware: M, part: RequestPart, schema: z.ZodType): M {
  declared.set(middleware, { part, schema });
  return middleware;
}

/** The part and schema a route handler validates, if it is one of these validators. */
export function declaredSchema(handler: unknown): { part: RequestPart; schema: z.ZodType } | undefined {
  return typeof handler === "function" ? declared.get(handler) : undefined;
}

/** The hook of @hono/zod-validator: a failure is thrown, so the one error renderer answers it. */
const throwIssues =
  (what: string) =>
  (result: { success: boolean; error?: z.core.$ZodError }): void => {
    if (!result.success && result.error) throw validationError(result.error, what);
  };

/** The query string, parsed with the schema (`?limit=20` reaches the handler as a number). */
export function query<S extends z.ZodType>(schema: S) {
  return declare(zValidator("query", schema, throwIssues("query")), "query", schema);
}

/** The path's parameters, parsed with the schema. */
export function params<S extends z.ZodType>(schema: S) {
  return declare(zValidator("param", schema, throwIssues("path")), "path", schema);
}

/** Request headers, parsed with the schema (names in lower case). */
export function headers<S extends z.ZodType>(schema: S) {
  return declare(zValidator("header", schema, throwIssues("headers")), "header", schema);
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * The body as a JSON value; no body reads as `{}` (the schema then names what is missing). Not
 * hono's json validator: it reads a body only under a JSON Content-Type and validates `{}` instead
 * of any other, so a PATCH sent as text/plain would change nothing and answer 200. Here a body that
 * is not sent as JSON, or is not JSON, is VALIDATION_FAILED like any other mistake.
 */
async function readJsonBody(c: Context<HonoEnv>, what: string): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  const mediaType = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw invalidRequest([{ path: "", message: `the body must be sent as JSON (Content-Type: application/json), not ${mediaType || "without a Content-Type"}` }], what);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidRequest([{ path: "", message: "the body is not valid JSON" }], what);
  }
}

/** The JSON body, parsed with the schema; `what` names it in the error (`Invalid backup request: …`). */
export function jsonBody<S extends z.ZodType>(schema: S, what: string): MiddlewareHandler<HonoEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  const middleware: MiddlewareHandler<HonoEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> = async (c, next) => {
    c.req.addValidatedData("json", parseOrThrow(schema, await readJsonBody(c, what), what) as object);
    await next();
  };
  return declare(middleware, "body", schema);
}
