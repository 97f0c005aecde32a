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

/** The hook of @hono/zod-validator: a failure is thrown, so the one error renderer answers it. */
const throwIssues =
  (what: string) =>
  (result: { success: boolean; error?: z.core.$ZodError }): void => {
    if (!result.success && result.error) throw validationError(result.error, what);
  };

/** The query string, parsed with the schema (`?limit=20` reaches the handler as a number). */
export function query<S extends z.ZodType>(schema: S) {
  return zValidator("query", schema, throwIssues("query"));
}

/** The path's parameters, parsed with the schema. */
export function params<S extends z.ZodType>(schema: S) {
  return zValidator("param", schema, throwIssues("path"));
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
  return async (c, next) => {
    c.req.addValidatedData("json", parseOrThrow(schema, await readJsonBody(c, what), what) as object);
    await next();
  };
}
