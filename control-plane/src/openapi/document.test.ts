import { API_ROUTE_ROLES, ERROR_CODES } from "@holdfast/shared";
import { compileErrors, validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../http/app.js";
import { declaredSchema } from "../http/validate.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { API_BASE } from "./document.js";

type Operation = {
  "x-holdfast-role": string;
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, { properties: Record<string, unknown> }> } };

const openApiPath = (pattern: string) => `${API_BASE}${pattern.replace(/:(\w+)/g, "{$1}")}`;

describe("GET /api/v1/openapi.json", () => {
  let srv: TestServer;
  let doc: Document;
  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
    const res = await srv.api("/api/v1/openapi.json", { token: await srv.token("viewer") });
    expect(res.status).toBe(200);
    doc = (await res.json()) as Document;
  });
  afterAll(async () => srv?.stop());

  it("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
  });

  it("needs a token like every /api/v1 route", async () => {
    expect((await srv.api("/api/v1/openapi.json")).status).toBe(401);
  });

  it("has every route of the role table, with its least role and the error body", () => {
    const missing = Object.keys(API_ROUTE_ROLES).filter((key) => {
      const [method, pattern] = key.split(" ") as [string, string];
      return doc.paths[openApiPath(pattern)]?.[method.toLowerCase()] === undefined;
    });
    expect(missing).toEqual([]);
    for (const [key, role] of Object.entries(API_ROUTE_ROLES)) {
      const [method, pattern] = key.split(" ") as [string, string];
      const op = doc.paths[openApiPath(pattern)]![method.toLowerCase()]!;
      expect(op["x-holdfast-role"], key).toBe(role);
      for (const status of ["401", "403", "4XX", "5XX"]) expect(op.responses[status]?.content?.["application/json"]?.schema, `${key} ${status}`).toEqual({ $ref: "#/components/schemas/ApiError" });
    }
    const errorBody = z.toJSONSchema(z.object({ code: z.enum(ERROR_CODES) })) as unknown as { properties: { code: unknown } };
    expect((doc.components.schemas.ApiError!.properties.error as { properties: { code: unknown } }).properties.code).toEqual(errorBody.properties.code);
  });

  it("lists each route's path, query, header and body exactly as its validators check them", () => {
    const app = createApp(srv.ctx);
    for (const key of Object.keys(API_ROUTE_ROLES)) {
      const [method, pattern] = key.split(" ") as [string, string];
      const op = doc.paths[openApiPath(pattern)]![method.toLowerCase()]!;
      const validators = app.routes.filter((r) => r.method === method && r.path === `${API_BASE}${pattern}`).flatMap((r) => declaredSchema(r.handler) ?? []);
      const expected = validators.flatMap((v) => {
        if (v.part === "body") return [];
        const json = z.toJSONSchema(v.schema, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, unknown> };
        return Object.keys(json.properties ?? {}).map((name) => `${v.part}:${name}`);
      });
      expect((op.parameters ?? []).map((p) => `${p.in}:${p.name}`).sort(), key).toEqual(expected.sort());
      // Every `:param` of the path is a required path parameter.
      for (const name of [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1])) expect(op.parameters?.find((p) => p.in === "path" && p.name === name)?.required, `${key} ${name}`).toBe(true);
      const body = validators.find((v) => v.part === "body");
      expect(op.requestBody !== undefined, `${key} has a body`).toBe(body !== undefined);
      if (body) {
        const { $schema: _, ...schema } = z.toJSONSchema(body.schema, { io: "input", unrepresentable: "any" });
        expect(op.requestBody!.content["application/json"]!.schema, key).toEqual(schema);
      }
    }
  });

  it("describes the live events' payload, and the open health routes", () => {
    const events = doc.paths[`${API_BASE}/events`]!.get!;
    expect(JSON.stringify(events.responses["200"]!.content!["text/event-stream"]!.schema)).toContain('"run.progress"');
    expect(events.parameters).toEqual([expect.objectContaining({ name: "last-event-id", in: "header", required: false })]);
    expect(doc.paths["/readyz"]!.get).toMatchObject({ security: [], responses: { "503": expect.anything() } });
    expect(doc.paths["/healthz"]!.get).toMatchObject({ security: [] });
  });

  it("describes the public install routes", () => {
    for (const path of ["/install/manifest.json", "/install/packages/{file}", "/install/agent.sh"]) expect(doc.paths[path]!.get, path).toMatchObject({ security: [] });
    expect(JSON.stringify(doc.paths["/install/manifest.json"]!.get!.responses["200"]!.content!["application/json"]!.schema)).toContain('"protocolVersion"');
  });
});
