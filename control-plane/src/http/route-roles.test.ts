import { API_ROUTE_ROLES, type Role, roleForRoute } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { createApp } from "./app.js";

const ROLES: Role[] = ["viewer", "operator", "admin"];
const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Every `/api/v1` route the app declares, as `METHOD /pattern` relative to `/api/v1`. */
function declaredRoutes(srv: TestServer): { method: string; pattern: string }[] {
  const seen = new Map<string, { method: string; pattern: string }>();
  for (const r of createApp(srv.ctx).routes) {
    if (r.basePath !== "/api/v1" || r.method === "ALL") continue;
    const pattern = r.path.slice(r.basePath.length);
    seen.set(`${r.method} ${pattern}`, { method: r.method, pattern });
  }
  return [...seen.values()];
}

describe("who may call each /api/v1 route", () => {
  let srv: TestServer;
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
    for (const role of ROLES) tokens[role] = await srv.token(role);
  });
  afterAll(async () => srv?.stop());

  const call = (method: string, pattern: string, token?: string) =>
    srv.api(`/api/v1${pattern.replace(/:(\w+)/g, "nope_$1")}`, { method, ...(token ? { token } : {}), ...(method === "GET" || method === "DELETE" ? {} : { json: {} }) });

  it("has a role for every route, and every role in the table names a route", () => {
    const declared = declaredRoutes(srv);
    expect(declared.length).toBeGreaterThan(20);
    expect(declared.filter((r) => roleForRoute(r.method, r.pattern) === undefined).map((r) => `${r.method} ${r.pattern}`)).toEqual([]);
    expect(Object.keys(API_ROUTE_ROLES).filter((key) => !declared.some((r) => `${r.method} ${r.pattern}` === key))).toEqual([]);
  });

  it("refuses every route without a token, refuses each role below the route's with the role it needs, and lets the others through", async () => {
    for (const { method, pattern } of declaredRoutes(srv)) {
      const route = `${method} ${pattern}`;
      const needed = roleForRoute(method, pattern);
      if (!needed) throw new Error(`${route} is missing from API_ROUTE_ROLES`);
      if (needed === "open") continue;
      expect((await call(method, pattern)).status, `${route} without a token`).toBe(401);
      for (const role of ROLES) {
        const res = await call(method, pattern, tokens[role]);
        // A stream (GET /events) never ends by itself: its answer is the status and the open stream.
        const streaming = res.headers.get("content-type")?.startsWith("text/event-stream") === true;
        if (streaming) await res.body?.cancel();
        const body = res.status === 204 || streaming ? null : ((await res.json()) as { error?: { code: string; message: string; details?: Record<string, unknown> } });
        if (RANK[role] < RANK[needed]) {
          expect(res.status, `${route} as ${role}`).toBe(403);
          expect(body?.error, `${route} as ${role}`).toMatchObject({ code: "FORBIDDEN", message: `This needs the ${needed} role; you are ${role}`, details: { needed, role } });
        } else {
          expect([401, 403], `${route} as ${role}: ${JSON.stringify(body)}`).not.toContain(res.status);
        }
      }
    }
  });

  it("lets anyone call the open routes (signing in, single sign-on, the first admin's setup), with a token or without", async () => {
    const open = declaredRoutes(srv).filter((r) => roleForRoute(r.method, r.pattern) === "open");
    expect(open.map((r) => `${r.method} ${r.pattern}`).sort()).toEqual(["DELETE /session", "GET /session", "GET /setup", "GET /sso", "GET /sso/callback", "GET /sso/start", "POST /session", "POST /setup"]);
    for (const { method, pattern } of open) {
      for (const token of [undefined, ...ROLES.map((r) => tokens[r])]) {
        const res = await call(method, pattern, token);
        expect([401, 403], `${method} ${pattern} ${token ? "with a token" : "without one"}`).not.toContain(res.status);
      }
    }
  });

  it("tells a viewer and an operator that revoking an agent needs admin, and a viewer that a restore needs operator", async () => {
    for (const role of ["viewer", "operator"] as const) {
      const res = await call("POST", "/agents/:id/revoke", tokens[role]);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(`This needs the admin role; you are ${role}`);
    }
    const restore = await call("POST", "/runs/:runId/restore", tokens.viewer);
    expect(((await restore.json()) as { error: { message: string } }).error.message).toBe("This needs the operator role; you are viewer");
    expect((await call("POST", "/runs/:runId/restore", tokens.operator)).status).toBe(400);
  });

  it("declares outside /api/v1 and /agent/v1 only the probes, /metrics (its own token) and the deliberately public install routes", async () => {
    const outside = createApp(srv.ctx)
      .routes.filter((r) => r.basePath !== "/api/v1" && r.basePath !== "/agent/v1" && r.method !== "ALL")
      .map((r) => `${r.method} ${r.path}`);
    // The install script, manifest and packages hold no secret: a host fetches them before it has any credentials (docs/decisions.md).
    expect(outside.sort()).toEqual(["GET /healthz", "GET /install/agent.sh", "GET /install/manifest.json", "GET /install/packages/:file", "GET /metrics", "GET /readyz"]);
    for (const path of ["/install/manifest.json", "/install/agent.sh"]) expect((await srv.api(path)).status, path).toBe(200);
  });
});
