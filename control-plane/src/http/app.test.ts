import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness.js";

const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup", password: "s3cret-pass" };

describe("REST API", () => {
  let srv: TestServer;
  let admin: string;
  let viewer: string;
  beforeAll(async () => {
    srv = await startTestServer("sqlite");
    admin = await srv.token("admin");
    viewer = await srv.token("viewer");
  });
  afterAll(async () => srv.stop());

  async function errorOf(res: Response) {
    const body = (await res.json()) as { error: Record<string, unknown> };
    return { status: res.status, ...body.error } as Record<string, unknown> & { status: number };
  }

  it("answers /healthz and the console's page without a token", async () => {
    expect(await (await srv.api("/healthz")).json()).toEqual({ ok: true });
    const home = await srv.api("/");
    expect(home.headers.get("content-type")).toContain("text/html");
    expect(home.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it("refuses /api/v1 without a token or with a bad one: 401 UNAUTHENTICATED", async () => {
    expect(await errorOf(await srv.api("/api/v1/agents"))).toMatchObject({ status: 401, code: "UNAUTHENTICATED", retryable: false });
    expect(await errorOf(await srv.api("/api/v1/agents", { token: "hf_api_nope" }))).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
  });

  it("lets a viewer read but not change: 403 FORBIDDEN", async () => {
    expect((await srv.api("/api/v1/agents", { token: viewer })).status).toBe(200);
    const res = await srv.api("/api/v1/destinations", { method: "POST", token: viewer, json: { name: "d", type: "local", config: { path: "/tmp/x" } } });
    expect(await errorOf(res)).toMatchObject({ status: 403, code: "FORBIDDEN" });
  });

  it("answers malformed JSON with 400 VALIDATION_FAILED, a request id and no stack", async () => {
    const res = await srv.api("/api/v1/destinations", { method: "POST", token: admin, headers: { "content-type": "application/json" }, body: "{nope" });
    const text = await res.text();
    expect(res.status).toBe(400);
    const body = JSON.parse(text) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ code: "VALIDATION_FAILED", retryable: false });
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
    expect(text).not.toContain("SyntaxError");
    expect(body.error).toMatchObject({ message: "Invalid destination: the body is not valid JSON", details: { issues: [{ path: "", message: "the body is not valid JSON" }] } });
  });

  it("refuses a body not sent as JSON instead of ignoring it", async () => {
    const res = await srv.api("/api/v1/destinations", { method: "POST", token: admin, headers: { "content-type": "text/plain" }, body: JSON.stringify({ name: "d", type: "local", config: { path: `${srv.dir}/plain` } }) });
    expect(await errorOf(res)).toMatchObject({ status: 400, code: "VALIDATION_FAILED", details: { issues: [{ path: "", message: expect.stringContaining("Content-Type: application/json") }] } });
    const list = (await (await srv.api("/api/v1/destinations", { token: viewer })).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  it("checks the path and the query at the route, naming the field", async () => {
    expect(await errorOf(await srv.api(`/api/v1/runs/${"r".repeat(200)}`, { token: viewer }))).toMatchObject({ status: 400, code: "VALIDATION_FAILED", details: { issues: [{ path: "runId" }] } });
    expect(await errorOf(await srv.api("/api/v1/stats?days=0", { token: viewer }))).toMatchObject({ status: 400, details: { issues: [{ path: "days" }] } });
    expect(await errorOf(await srv.api("/api/v1/runs?limit=many", { token: viewer }))).toMatchObject({ status: 400, details: { issues: [{ path: "limit" }] } });
    expect(await errorOf(await srv.api("/api/v1/runs?sort=name", { token: viewer }))).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    expect((await srv.api("/api/v1/runs?limit=2&state=failed", { token: viewer })).status).toBe(200);
  });

  it("lists field issues for a body that fails the schema", async () => {
    const res = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "d", type: "local", config: { path: "relative" } } });
    const err = await errorOf(res);
    expect(err).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    expect(JSON.stringify(err.details)).toContain("config.path");
  });

  it("echoes a caller's x-request-id", async () => {
    const res = await srv.api("/api/v1/agents", { token: admin, headers: { "x-request-id": "trace-123" } });
    expect(res.headers.get("x-request-id")).toBe("trace-123");
  });

  it("answers unknown routes and ids with the catalog's 404s", async () => {
    expect(await errorOf(await srv.api("/nowhere"))).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(await errorOf(await srv.api("/api/v1/runs/run_missing", { token: admin }))).toMatchObject({ status: 404, code: "RUN_NOT_FOUND" });
    expect(await errorOf(await srv.api("/api/v1/datasources/ds_missing/test", { method: "POST", token: admin }))).toMatchObject({
      status: 404,
      code: "DATASOURCE_NOT_FOUND",
    });
    const ds = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId: "agt_missing", name: "x", engine: "postgres", connection: PG } });
    expect(await errorOf(ds)).toMatchObject({ status: 404, code: "AGENT_NOT_FOUND" });
  });

  it("refuses a datasource on an offline agent with 503 AGENT_OFFLINE", async () => {
    const identity = await srv.enroll();
    const res = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId: identity.agentId, name: "x", engine: "postgres", connection: PG } });
    expect(await errorOf(res)).toMatchObject({ status: 503, code: "AGENT_OFFLINE", retryable: true });
  });

  it("creates a datasource through the agent and keeps only the redacted copy", async () => {
    const agent = await srv.agent();
    let received: unknown;
    agent.handlers.createDatabaseConfig = (f) => {
      received = f;
      const p = f.payload as { datasourceId: string; connection: unknown };
      return { status: 200, data: { datasourceId: p.datasourceId, connection: p.connection } };
    };
    agent.handlers.testDatabaseConnection = () => ({ status: 200, data: { ok: true, latencyMs: 4, serverVersion: "16.4", databaseSizeBytes: 10 } });
    const res = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId: agent.identity.agentId, name: "shop", engine: "postgres", connection: PG } });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; connection: { password: string } };
    expect(body).toMatchObject({ agentId: agent.identity.agentId, name: "shop", engine: "postgres" });
    expect(body.id).toMatch(/^ds_/);
    expect(body.connection.password).toBe("********");
    // The agent got the real password and an idempotency key.
    expect(received).toMatchObject({ idempotencyKey: expect.any(String), payload: { connection: { password: "s3cret-pass" } } });
    const { db, t } = srv.ctx.database;
    expect(JSON.stringify(await db.select().from(t.datasources))).not.toContain("s3cret-pass");
    const { test, ...stored } = body as typeof body & { test: unknown };
    expect(test).toEqual({ ok: true, latencyMs: 4, serverVersion: "16.4" });
    const list = (await (await srv.api("/api/v1/datasources", { token: viewer })).json()) as { items: unknown[] };
    // The list adds each datasource's health (health/).
    expect(list.items).toEqual([{ ...stored, health: expect.objectContaining({ status: expect.any(String) }) }]);
    // Testing the connection relays the agent's answer, and its failure.
    agent.handlers.testDatabaseConnection = () => ({ status: 200, data: { ok: true, latencyMs: 2, serverVersion: "16.1", databaseSizeBytes: 10 } });
    const ok = await srv.api(`/api/v1/datasources/${body.id}/test`, { method: "POST", token: admin });
    expect(await ok.json()).toMatchObject({ ok: true, serverVersion: "16.1" });
    agent.handlers.testDatabaseConnection = () => ({ error: { code: "DB_CONNECTION_TEST_FAILED", message: "no route to host", retryable: true } });
    const bad = await srv.api(`/api/v1/datasources/${body.id}/test`, { method: "POST", token: admin });
    expect(await errorOf(bad)).toMatchObject({ status: 422, code: "DB_CONNECTION_TEST_FAILED", message: "no route to host" });
  });

  describe("backups", () => {
    let dsId: string;
    let destId: string;
    let agent: Awaited<ReturnType<TestServer["agent"]>>;
    beforeAll(async () => {
      agent = await srv.agent();
      agent.acceptDatasources(PG);
      const ds = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId: agent.identity.agentId, name: "b", engine: "postgres", connection: PG } });
      dsId = ((await ds.json()) as { id: string }).id;
      const dst = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: `${srv.dir}/backups` } } });
      expect(dst.status).toBe(201);
      destId = ((await dst.json()) as { id: string }).id;
    });

    it("refuses unknown destinations with 404 DESTINATION_NOT_FOUND", async () => {
      const res = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: admin, json: { destinationIds: ["dst_missing"] } });
      expect(await errorOf(res)).toMatchObject({ status: 404, code: "DESTINATION_NOT_FOUND" });
    });

    it("starts a backup (202), and the same idempotency key returns the same run", async () => {
      const sent: Array<Record<string, unknown>> = [];
      agent.handlers.startBackup = (f) => {
        sent.push(f);
        return { status: 202, data: { runId: (f.payload as { runId: string }).runId, state: "running", queuedPosition: null } };
      };
      const start = () => srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: admin, json: { destinationIds: [destId], idempotencyKey: "k-1" } });
      const first = await start();
      expect(first.status).toBe(202);
      const { runId } = (await first.json()) as { runId: string };
      const second = await start();
      expect(second.status).toBe(202);
      expect(await second.json()).toEqual({ runId });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ payload: { runId, datasourceId: dsId, trigger: "manual", requestedBy: "admin@test.local" } });
      // The run view moves with the agent's events, not with its answer to startBackup.
      expect(((await (await srv.api(`/api/v1/runs/${runId}`, { token: viewer })).json()) as { state: string }).state).toBe("queued");
      await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: new Date().toISOString() }, runId);
      const run = (await (await srv.api(`/api/v1/runs/${runId}`, { token: viewer })).json()) as Record<string, unknown>;
      expect(run).toMatchObject({ runId, kind: "backup", trigger: "manual", datasourceId: dsId, agentId: agent.identity.agentId, step: null, state: "running", sizeBytes: null, sha256: null, error: null, deliveries: [{ destinationId: destId, state: "pending", path: null }] });
      // The same key with other destinations is a different request.
      const other = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk2", type: "local", config: { path: `${srv.dir}/b2` } } });
      const otherId = ((await other.json()) as { id: string }).id;
      const reused = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: admin, json: { destinationIds: [otherId], idempotencyKey: "k-1" } });
      expect(await errorOf(reused)).toMatchObject({ status: 422, code: "IDEMPOTENCY_KEY_REUSED" });
    });

    it("relays 409 BACKUP_ALREADY_RUNNING and keeps no record of the refused run", async () => {
      agent.handlers.startBackup = () => ({ error: { code: "BACKUP_ALREADY_RUNNING", message: "A backup is running", retryable: true, details: { runId: "run_other" } } });
      const res = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: admin, json: { destinationIds: [destId] } });
      expect(await errorOf(res)).toMatchObject({ status: 409, code: "BACKUP_ALREADY_RUNNING", details: { runId: "run_other" } });
      const { db, t } = srv.ctx.database;
      const runs = await db.select().from(t.runs);
      expect(runs).toHaveLength(1);
    });
  });
});
