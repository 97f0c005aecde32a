/**
 * Renders `docs/api.md` from the OpenAPI document the control plane serves (`GET /api/v1/openapi.json`),
 * which is itself built from the routes' own validators, the role table and shared's schemas. Nothing
 * in the page is written by hand; a control-plane test fails when it is stale.
 *
 *   npm run docs:api --workspace control-plane            # rewrite docs/api.md
 *   npm run docs:api --workspace control-plane -- --check # exit 1 if it is stale
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { LIVE_EVENT_ROLES, RecordedLiveEvent, ReadyEvent, ResyncEvent } from "@holdfast/shared";
import { z } from "zod";
import { cell, fieldRows, writeOrCheck } from "../../shared/scripts/render-protocol-doc.js";
import type { AppContext } from "../src/context.js";
import { createApp } from "../src/http/app.js";
import { buildOpenApiDocument } from "../src/openapi/document.js";

export const API_DOC_PATH = fileURLToPath(new URL("../../docs/api.md", import.meta.url));
export const REGENERATE_API_DOC = "npm run docs:api --workspace control-plane";

type Json = Record<string, unknown>;
type Parameter = { name: string; in: string; required: boolean; description?: string; schema: Json };
type Operation = {
  summary: string;
  "x-holdfast-role"?: string;
  parameters?: Parameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: Json }> };
  responses: Record<string, { description: string; content?: Record<string, { schema?: Json }> }>;
};

/** The fields of an object schema as a table; a union as one table per variant. */
function tables(schema: Json): string {
  const variants = (schema.oneOf ?? schema.anyOf) as Json[] | undefined;
  if (variants) {
    return variants
      .map((v) => {
        const tag = Object.entries((v.properties ?? {}) as Record<string, Json>).find(([, p]) => p.const !== undefined);
        return `${tag ? `When \`${tag[0]}\` is \`${JSON.stringify(tag[1].const)}\`:` : "Or:"}\n\n${tables(v)}`;
      })
      .join("\n\n");
  }
  const rows = fieldRows(schema);
  if (rows.length === 0) return "_No fields: `{}`._";
  const closed = schema.additionalProperties === false ? "\n\nNo other field is accepted." : "";
  return ["| field | type | required |", "| --- | --- | --- |", ...rows].join("\n") + closed;
}

function parameterTable(params: Parameter[]): string {
  const object = { properties: Object.fromEntries(params.map((p) => [p.name, p.schema])), required: params.filter((p) => p.required).map((p) => p.name) };
  return tables(object);
}

function operationSection(method: string, path: string, op: Operation): string {
  const parts = [`### ${method.toUpperCase()} ${path}`];
  if (op["x-holdfast-role"]) parts.push(`Least role: \`${op["x-holdfast-role"]}\`.`);
  else parts.push(cell(op.summary));
  for (const [where, title] of [["path", "Path"], ["query", "Query"], ["header", "Headers"]] as const) {
    const params = (op.parameters ?? []).filter((p) => p.in === where);
    if (params.length > 0) parts.push(`${title}:`, parameterTable(params));
  }
  const body = op.requestBody?.content["application/json"]?.schema;
  if (body) parts.push(`Body (JSON${op.requestBody!.required ? "" : "; none is read as `{}`"}):`, tables(body));
  const success = Object.entries(op.responses).find(([status]) => /^2/.test(status));
  if (success) {
    const [status, answer] = success;
    const [mediaType, media] = Object.entries(answer.content ?? {})[0] ?? [];
    if (mediaType === "text/event-stream") parts.push(`Answer \`${status}\`: a stream of server-sent events (below).`);
    else if (media?.schema && media.schema.type !== "null") parts.push(`Answer \`${status}\`:`, tables(media.schema));
    else parts.push(`Answer \`${status}\`${status === "204" ? ", no body" : ""}.`);
  }
  return parts.join("\n\n");
}

function liveEventsSection(): string {
  const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "output" }) as Json;
  const kinds = (json(RecordedLiveEvent).oneOf ?? json(RecordedLiveEvent).anyOf) as Json[];
  return [
    "## Live events",
    "`GET /api/v1/events` answers `text/event-stream`. Each message is an unnamed event whose `id` is the event's id and whose `data` is one JSON " +
      "object, parsed by `LiveEvent` in `shared/src/api/live-events.ts`. Without `Last-Event-ID` the stream opens with `ready`; with it, the " +
      "stream first sends every event after that id, in order, or `resync` when they are no longer kept (the newest 10,000, none older than " +
      "24 h by default: `HOLDFAST_EVENTS_KEEP_COUNT`, `HOLDFAST_EVENTS_KEEP_MS`) or the id is not this server's. Ids are the database's: they " +
      "survive a restart and only grow. A quiet stream gets a `: keep-alive` comment every 15 s; a client that stops reading is disconnected " +
      "once 1,000 events wait for it (`HOLDFAST_EVENTS_CLIENT_BUFFER`) and resumes with `Last-Event-ID`. A role receives only the kinds it may see:",
    ["| type | least role |", "| --- | --- |", ...Object.entries(LIVE_EVENT_ROLES).map(([t, r]) => `| \`${t}\` | \`${r}\` |`)].join("\n"),
    ...kinds.flatMap((k) => [`### ${(k.properties as Record<string, Json>).type!.const as string}`, tables(k)]),
    "### ready",
    tables(json(ReadyEvent)),
    "### resync",
    tables(json(ResyncEvent)),
  ].join("\n\n");
}

/** The whole page; pure, so a test can compare it with the file. */
export function renderApiDoc(): string {
  // Building the app touches nothing of the context but the rate limits' settings: the routes are declared, never called.
  const doc = buildOpenApiDocument(createApp({ env: { rateLimits: {} } } as unknown as AppContext).routes, "") as { paths: Record<string, Record<string, Operation>> };
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ method, path, op })));
  const summary = [
    "| route | least role |",
    "| --- | --- |",
    ...operations.map(({ method, path, op }) => `| [\`${method.toUpperCase()} ${path}\`](#${`${method} ${path}`.toLowerCase().replace(/[^a-z0-9 -]/g, "").replaceAll(" ", "-")}) | ${op["x-holdfast-role"] ? `\`${op["x-holdfast-role"]}\`` : "none"} |`),
  ].join("\n");
  const parts = [
    "<!-- Generated by control-plane/scripts/render-api-doc.ts: do not edit by hand. -->",
    `<!-- Regenerate with: ${REGENERATE_API_DOC} -->`,
    "# REST API: reference",
    "Every route of the control plane's API, rendered from the OpenAPI 3.1 document it serves at `GET /api/v1/openapi.json` (role `viewer`), " +
      "which is built from the schemas each route validates with. Routes under `/api/v1` need `Authorization: Bearer <API token>` and the " +
      "role named; a refusal is `403 FORBIDDEN` naming it. Every error is `{\"error\": {code, message, retryable, details?, requestId}}` with a " +
      "code of the [error matrix](protocol.md#error-matrix); a request that fails its schema is `400 VALIDATION_FAILED` with `details.issues`.",
    summary,
    "## Routes",
    ...operations.map(({ method, path, op }) => operationSection(method, path, op)),
    liveEventsSection(),
  ];
  return `${parts.join("\n\n").replaceAll("(#error-matrix)", "(protocol.md#error-matrix)")}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeOrCheck(API_DOC_PATH, renderApiDoc(), REGENERATE_API_DOC);
}
