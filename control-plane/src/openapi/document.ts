import { SESSION_COOKIE_NAME } from "../http/session-cookie.js";
import { API_RESPONSES, API_ROUTE_ROLES, type ApiRoute, ApiErrorResponse, HealthAnswer, InstallManifest } from "@holdfast/shared";
import type { RouterRoute } from "hono/types";
import { z } from "zod";
import { READINESS_TIMEOUT_MS } from "../health/readiness.js";
import { declaredSchema, type RequestPart } from "../http/validate.js";

type Json = Record<string, unknown>;

/** Where the API lives; the role table's patterns are relative to it. */
export const API_BASE = "/api/v1";

/** Routes outside the role table that everyone may call. */
const OPEN_ROUTES = [
  { method: "GET", path: "/healthz", summary: "Liveness: the process answers. Asks nothing of the database.", notReady: false },
  { method: "GET", path: "/readyz", summary: `Readiness: the database answers within ${READINESS_TIMEOUT_MS / 1000} s and the server is not stopping; else 503 NOT_READY with details.reason.`, notReady: true },
] as const;

/** What a host fetches before it has credentials (install-packages/): public, none holds a secret. */
const INSTALL_ROUTES = [
  { path: "/install/manifest.json", summary: "The agent packages this control plane serves (none until `npm run package:agent`), each with its SHA-256.", mediaType: "application/json" },
  { path: "/install/packages/{file}", summary: "An agent package (`holdfast-agent-<version>-linux-<arch>.tar.gz`); `Range` resumes it, its SHA-256 is the ETag.", mediaType: "application/gzip" },
  { path: "/install/agent.sh", summary: "The agent's install script.", mediaType: "text/x-shellscript" },
] as const;

const ERROR_REF = { $ref: "#/components/schemas/ApiError" };
const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: ERROR_REF } } });

/** A zod schema as JSON Schema 2020-12, OpenAPI 3.1's dialect; `input`: what a client may send. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as Json;
  return rest;
}

/** The properties of an object schema as parameters of one location. */
function parameters(schema: z.ZodType, location: "path" | "query" | "header"): Json[] {
  const json = jsonSchema(schema, "input");
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries((json.properties as Record<string, Json> | undefined) ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === "path" || required.has(name),
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
}

function successResponse(key: ApiRoute): Json {
  const known = API_RESPONSES[key];
  if (!known) return { "200": { description: "Success (JSON)." } };
  if (known.status === 204) return { "204": { description: "Done; no body." } };
  if (known.status === 302) return { "302": { description: "A redirect for a browser to follow: the Location header says where." } };
  const mediaType = known.mediaType ?? "application/json";
  const description = mediaType === "text/event-stream" ? "A stream of server-sent events; each event's `data` is this JSON." : "Success.";
  return { [String(known.status)]: { description, content: { [mediaType]: { schema: jsonSchema(known.body, "output") } } } };
}

/** `/runs/:runId` → `/runs/{runId}`. */
const openApiPath = (pattern: string) => pattern.replace(/:(\w+)/g, "{$1}");

function operation(key: ApiRoute, validated: Map<RequestPart, z.ZodType>): Json {
  const role = API_ROUTE_ROLES[key];
  const params = [
    ...(validated.has("path") ? parameters(validated.get("path")!, "path") : []),
    ...(validated.has("query") ? parameters(validated.get("query")!, "query") : []),
    ...(validated.has("header") ? parameters(validated.get("header")!, "header") : []),
  ];
  const body = validated.get("body");
  return {
    operationId: key.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_|_$/g, ""),
    summary: key,
    description: role === "open" ? "Open: no credentials needed (sent ones are used when valid)." : `Least role: \`${role}\`.`,
    "x-holdfast-role": role,
    ...(role === "open" ? { security: [{}, { bearer: [] }, { session: [] }] } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(body
      ? // An empty body is read as `{}`: required only where `{}` is refused.
        { requestBody: { required: !body.safeParse({}).success, content: { "application/json": { schema: jsonSchema(body, "input") } } } }
      : {}),
    responses: {
      ...successResponse(key),
      ...(validated.size > 0 ? { "400": errorResponse("VALIDATION_FAILED: `details.issues` lists each field that failed.") } : {}),
      "401": errorResponse(role === "open" ? "Refused credentials (INVALID_CREDENTIALS, SETUP_TOKEN_INVALID...)." : "UNAUTHENTICATED: no valid credentials."),
      "403": errorResponse(
        role === "open"
          ? "CSRF_CHECK_FAILED: a change made with the session cookie without its X-CSRF-Token."
          : `FORBIDDEN: this needs the ${role} role (\`details.needed\`); CSRF_CHECK_FAILED: a change made with the session cookie without its X-CSRF-Token.`,
      ),
      "4XX": errorResponse("Another refusal of the error catalog (docs/protocol.md)."),
      "5XX": errorResponse("A failure of the error catalog (docs/protocol.md); `retryable` says whether to try again."),
    },
  };
}

/**
 * The OpenAPI 3.1 document of the REST API, built from what the routes themselves validate with: the
 * role table names every route, the app's routes carry their validators (`http/validate.ts` records
 * each one's schema), shared's `API_RESPONSES` describes the answers it knows. A route added to the
 * table and the app with validators appears here without further work. A route of the table the app
 * does not declare is left out (the route test fails for it).
 */
export function buildOpenApiDocument(routes: readonly RouterRoute[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const key of Object.keys(API_ROUTE_ROLES) as ApiRoute[]) {
    const [method, pattern] = key.split(" ") as [string, string];
    const declared = routes.filter((r) => r.method === method && r.path === `${API_BASE}${pattern}`);
    if (declared.length === 0) continue;
    const validated = new Map<RequestPart, z.ZodType>();
    for (const r of declared) {
      const found = declaredSchema(r.handler);
      if (found) validated.set(found.part, found.schema);
    }
    (paths[`${API_BASE}${openApiPath(pattern)}`] ??= {})[method.toLowerCase()] = operation(key, validated);
  }
  for (const open of OPEN_ROUTES) {
    (paths[open.path] ??= {})[open.method.toLowerCase()] = {
      operationId: open.path.slice(1),
      summary: open.summary,
      security: [],
      responses: {
        "200": { description: "OK.", content: { "application/json": { schema: jsonSchema(HealthAnswer, "output") } } },
        ...(open.notReady ? { "503": errorResponse("NOT_READY: stopping, or the database does not answer (`details.reason`).") } : {}),
      },
    };
  }
  for (const route of INSTALL_ROUTES) {
    const schema = route.mediaType === "application/json" ? jsonSchema(InstallManifest, "output") : { type: "string", format: "binary" };
    (paths[route.path] ??= {}).get = {
      operationId: route.path.slice(1).replace(/[^A-Za-z0-9]+/g, "_").replace(/_$/, ""),
      summary: route.summary,
      security: [],
      ...(route.path.includes("{file}") ? { parameters: [{ name: "file", in: "path", required: true, schema: { type: "string" } }] } : {}),
      responses: { "200": { description: "OK.", content: { [route.mediaType]: { schema } } }, "404": errorResponse("NOT_FOUND: no such package (or script).") },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Holdfast control plane API",
      version,
      description:
        "The REST API a console and a CLI use. Every error is `{error: {code, message, retryable, details?, requestId}}` with a code of the " +
        "catalog (docs/protocol.md). Each operation's least role is in `x-holdfast-role`.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "An API token (`hf_api_…`, `holdfast api-token create`)." },
        session: {
          type: "apiKey",
          in: "cookie",
          name: SESSION_COOKIE_NAME,
          description: "The browser session of `POST /api/v1/session` (`__Host-` prefixed over TLS). A request that changes something with it also sends `X-CSRF-Token`.",
        },
      },
      schemas: { ApiError: jsonSchema(ApiErrorResponse, "output") },
    },
  };
}
