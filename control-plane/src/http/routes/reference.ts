import { Hono } from "hono";
import type { RouterRoute } from "hono/types";
import { buildOpenApiDocument } from "../../openapi/document.js";
import { VERSION } from "../../version.js";
import type { HonoEnv } from "../types.js";

/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of this server's API, built once from its own routes
 * (`routes` is read at the first request, when the app is complete).
 */
export function referenceRoutes(routes: () => readonly RouterRoute[]) {
  let document: Record<string, unknown> | undefined;
  return new Hono<HonoEnv>().get("/openapi.json", (c) => c.json((document ??= buildOpenApiDocument(routes(), VERSION))));
}
