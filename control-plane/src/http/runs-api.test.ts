import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };
const now = () => new Date().toISOString();

describe("REST API: runs, queue, logs and agent reads", () => {
  let srv: TestServer;
  let admin: string;
  let operator: string;
  let viewer: string;
  let agent: FakeAgent;
  let dsId: string;
  let destId: string;
  const asked: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    srv = await startTestServer("sqlite");
    [admin, operator, viewer] = [await srv.token("admin"), await srv.token("operator"), await srv.token("viewer")];
    agent = await srv.agent();
    agent.acceptDatasources(PG);
    agent.handlers.startBackup = (f) => ({ status: 202, data: { runId: (f.payload as { runId: string }).runId, state: "running", queuedPosition: null } });
    for (const type of ["cancelBackup", "cancelQueuedBackup"] as const) {
      agent.handlers[type] = (f) => {
        asked.push(f);
        return { status: 200, data: { runId: (f.payload as { runId: string }).runId, state: "cancelled", queuedPosition: null } };
      };
    }
    const ds = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId: agent.identity.agentId, name: "shop", engine: "postgres", connection: PG } });
    dsId = ((await ds.json()) as { id: string }).id;
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: `${srv.dir}/backups` } } });
    destId = ((await dst.json()) as { id: string }).id;
  });
  afterAll(async () => srv.stop());

  async function errorOf(res: Response) {
    const text = await res.text();
    expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
    const body = JSON.parse(text) as { error: Record<string, unknown> };
    return { status: res.status, ...body.error } as Record<string, unknown> & { status: number };
  }
  async function startRun(key?: string): Promise<string> {
    const res = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: operator, json: { destinationIds: [destId], ...(key ? { idempotencyKey: key } : {}) } });
    expect(res.status).toBe(202);
    return ((await res.json()) as { runId: string }).runId;
  }
  const cancel = (runId: string, token = operator, init: RequestInit & { json?: unknown } = {}) => srv.api(`/api/v1/runs/${runId}/cancel`, { method: "POST", token, ...init });
  const view = async (runId: string) => (await (await srv.api(`/api/v1/runs/${runId}`, { token: viewer })).json()) as Record<string, unknown>;

  it("shows a run with its trigger, datasource, agent and current step", async () => {
    const runId = await startRun();
    expect(await view(runId)).toMatchObject({ runId, trigger: "manual", datasourceId: dsId, agentId: agent.identity.agentId, state: "queued", step: null });
    await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: now() }, runId);
    await agent.sendEvent("backupStep", { step: "dump", message: "pg_dump started" }, runId);
    expect(await view(runId)).toMatchObject({ state: "running", step: "dump" });
    const events = (await (await srv.api(`/api/v1/runs/${runId}/events`, { token: viewer })).json()) as { items: Array<{ type: string; sequence: number }> };
    expect(events.items.map((e) => e.type)).toEqual(["backupStarted", "backupStep"]);
  });

  it("retries of one idempotency key get one run, even at once; another body with it gets 422", async () => {
    const before = agent.frames.filter((f) => f.type === "startBackup").length;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: operator, json: { destinationIds: [destId], idempotencyKey: "retry-1" } })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    const ids = new Set(await Promise.all(answers.map(async (a) => ((await a.json()) as { runId: string }).runId)));
    expect(ids.size).toBe(1);
    expect(agent.frames.filter((f) => f.type === "startBackup").length - before).toBe(1);
    const other = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: operator, json: { destinationIds: [destId, destId], idempotencyKey: "retry-1" } });
    expect(await errorOf(other)).toMatchObject({ status: 422, code: "IDEMPOTENCY_KEY_REUSED" });
  });

  it("passes backup options through to the agent; they are part of the idempotent request; bad ones are 400", async () => {
    const options = { format: "custom", compression: { codec: "zstd", level: 5 }, tables: { exclude: ["public.audit_$(id)"] } };
    const post = (json: unknown) => srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: operator, json });
    const res = await post({ destinationIds: [destId], idempotencyKey: "opts-1", options });
    expect(res.status).toBe(202);
    const sent = agent.frames.filter((f) => f.type === "startBackup").at(-1)!;
    expect((sent.payload as { options?: unknown }).options).toEqual(options);
    expect((await post({ destinationIds: [destId], idempotencyKey: "opts-1", options })).status).toBe(202);
    const changed = await post({ destinationIds: [destId], idempotencyKey: "opts-1", options: { ...options, format: "plain" } });
    expect(await errorOf(changed)).toMatchObject({ status: 422, code: "IDEMPOTENCY_KEY_REUSED" });
    const bad = await post({ destinationIds: [destId], options: { schemaOnly: true, dataOnly: true } });
    expect(await errorOf(bad)).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    const hostile = await post({ destinationIds: [destId], options: { tables: { include: ["--file=/etc/passwd"] } } });
    expect(await errorOf(hostile)).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
  });

  it("lets a viewer read a run but not cancel it", async () => {
    const runId = await startRun();
    expect((await srv.api(`/api/v1/runs/${runId}/events`, { token: viewer })).status).toBe(200);
    expect(await errorOf(await cancel(runId, viewer))).toMatchObject({ status: 403, code: "FORBIDDEN" });
  });

  it("cancels a queued run with cancelQueuedBackup and a running one with cancelBackup, keyed by run", async () => {
    const queued = await startRun();
    const res = await cancel(queued);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ runId: queued, state: "cancelled" });
    expect(asked.at(-1)).toMatchObject({ type: "cancelQueuedBackup", payload: { runId: queued }, idempotencyKey: `cancel-queued-${queued}` });
    // The view waits for the agent's event.
    expect((await view(queued)).state).toBe("queued");
    await agent.sendEvent("backupCancelled", { finishedAt: now(), reason: "cancelled by operator@test.local" }, queued);
    expect(await view(queued)).toMatchObject({ state: "cancelled", cancelReason: "cancelled by operator@test.local" });

    const running = await startRun();
    await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: now() }, running);
    expect((await cancel(running, admin, { json: {} })).status).toBe(200);
    expect(asked.at(-1)).toMatchObject({ type: "cancelBackup", payload: { runId: running }, idempotencyKey: `cancel-${running}` });
  });

  it("falls back to cancelBackup when the agent already took a run it still shows queued", async () => {
    const runId = await startRun();
    agent.handlers.cancelQueuedBackup = () => ({ error: { code: "QUEUED_BACKUP_NOT_FOUND", message: "not queued", retryable: false } });
    expect((await cancel(runId)).status).toBe(200);
    expect(asked.at(-1)).toMatchObject({ type: "cancelBackup", payload: { runId } });
  });

  it("relays the agent's refusal with its catalog status", async () => {
    const runId = await startRun();
    await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: now() }, runId);
    agent.handlers.cancelBackup = () => ({ error: { code: "BACKUP_NOT_RUNNING", message: "nothing runs", retryable: false } });
    expect(await errorOf(await cancel(runId))).toMatchObject({ status: 409, code: "BACKUP_NOT_RUNNING", message: "nothing runs" });
  });

  it("refuses to cancel a finished run with 409 INVALID_STATE_TRANSITION, without asking the agent", async () => {
    const runId = await startRun();
    await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: now() }, runId);
    await agent.sendEvent("backupFailed", { finishedAt: now(), error: { code: "DUMP_FAILED", message: "exit 1", retryable: true } }, runId);
    const n = asked.length;
    expect(await errorOf(await cancel(runId))).toMatchObject({ status: 409, code: "INVALID_STATE_TRANSITION", details: { runId, from: "failed", to: "cancelled" } });
    expect(asked.length).toBe(n);
  });

  it("answers unknown ids and bad bodies with the catalog's codes", async () => {
    for (const path of ["/api/v1/runs/run_missing", "/api/v1/runs/run_missing/events", "/api/v1/runs/run_missing/logs"]) {
      expect(await errorOf(await srv.api(path, { token: viewer })), path).toMatchObject({ status: 404, code: "RUN_NOT_FOUND" });
    }
    expect(await errorOf(await cancel("run_missing"))).toMatchObject({ status: 404, code: "RUN_NOT_FOUND" });
    expect(await errorOf(await srv.api("/api/v1/agents/agt_missing/queue", { token: viewer }))).toMatchObject({ status: 404, code: "AGENT_NOT_FOUND" });
    expect(await errorOf(await srv.api("/api/v1/agents/agt_missing/health", { token: viewer }))).toMatchObject({ status: 404, code: "AGENT_NOT_FOUND" });
    expect(await errorOf(await srv.api("/api/v1/agents/agt_missing/capabilities", { token: viewer }))).toMatchObject({ status: 404, code: "AGENT_NOT_FOUND" });
    expect(await errorOf(await srv.api("/api/v1/datasources/ds_missing/databases", { token: viewer }))).toMatchObject({ status: 404, code: "DATASOURCE_NOT_FOUND" });
    expect(await errorOf(await srv.api("/api/v1/datasources/ds_missing/preflight", { method: "POST", token: operator }))).toMatchObject({ status: 404, code: "DATASOURCE_NOT_FOUND" });
    const runId = await startRun();
    const extra = await errorOf(await cancel(runId, operator, { json: { force: true } }));
    expect(extra).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    const garbled = await errorOf(await cancel(runId, operator, { body: "{nope", headers: { "content-type": "application/json" } }));
    expect(garbled).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    const wrong = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: operator, json: { destinationIds: "dst_0123456789abcdef0123456789" } });
    // One mistake, one issue: not also "too big: expected string to have <=20 characters".
    expect(await errorOf(wrong)).toMatchObject({ status: 400, code: "VALIDATION_FAILED", details: { issues: [{ path: "destinationIds", message: "Invalid input: expected array, received string" }] } });
    // An empty body under a JSON Content-Type is no body: the request goes on to the agent (which,
    // scripted by the tests above, refuses it).
    const empty = await cancel(runId, operator, { body: "", headers: { "content-type": "application/json" } });
    expect(await errorOf(empty)).toMatchObject({ status: 409, code: "BACKUP_NOT_RUNNING" });
    const missing = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: operator, json: {} });
    expect(await errorOf(missing)).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
  });

  it("relays the agent's queue, health, capabilities, preflight, databases and run logs", async () => {
    const queue = { running: null, queued: [], maxQueueSize: 10 };
    agent.handlers.getExecutionQueue = () => ({ status: 200, data: queue });
    expect(await (await srv.api(`/api/v1/agents/${agent.identity.agentId}/queue`, { token: viewer })).json()).toEqual(queue);
    const health = { status: "ok", agentVersion: "0.1.0", uptimeSeconds: 5, stagingDir: "/tmp/x", stagingFreeBytes: 10, runningRunId: null, queueLength: 0, unackedEvents: 0 };
    agent.handlers.getServerHealth = () => ({ status: 200, data: health });
    expect(await (await srv.api(`/api/v1/agents/${agent.identity.agentId}/health`, { token: viewer })).json()).toEqual(health);
    const capabilities = { protocolVersion: 1, agentVersion: "0.1.0", engines: [{ engine: "postgres", available: true, toolVersion: "16.1" }], codecs: ["gzip"] };
    agent.handlers.capabilities = () => ({ status: 200, data: capabilities });
    expect(await (await srv.api(`/api/v1/agents/${agent.identity.agentId}/capabilities`, { token: viewer })).json()).toEqual(capabilities);
    const preflight = {
      ok: true,
      blockingIssues: [],
      warnings: [{ code: "LOW_SPACE", message: "low" }],
      toolStatus: { tool: "pg_dump", found: true, version: "16.1", toolMajor: 16, serverMajor: 16, compatible: true, codec: { name: "gzip", available: true }, stagingWritable: true, freeBytes: 1, lastDumpBytes: null },
    };
    agent.handlers.validateServerBackupPrerequisites = (f) => {
      expect(f.payload).toEqual({ datasourceId: dsId });
      return { status: 200, data: preflight };
    };
    expect(await errorOf(await srv.api(`/api/v1/datasources/${dsId}/preflight`, { method: "POST", token: viewer }))).toMatchObject({ status: 403 });
    expect(await (await srv.api(`/api/v1/datasources/${dsId}/preflight`, { method: "POST", token: operator })).json()).toEqual(preflight);
    agent.handlers.listDatabases = () => ({ status: 200, data: { items: [{ name: "shop", sizeBytes: 1024 }] } });
    expect(await (await srv.api(`/api/v1/datasources/${dsId}/databases`, { token: viewer })).json()).toEqual({ items: [{ name: "shop", sizeBytes: 1024 }] });
    const runId = await startRun();
    const logs = { runId, lines: [{ at: now(), level: "info", message: "pg_dump started" }] };
    agent.handlers.getRunLogs = () => ({ status: 200, data: logs });
    expect(await (await srv.api(`/api/v1/runs/${runId}/logs`, { token: viewer })).json()).toEqual(logs);
    // An agent answer that breaks the contract is a bare 500, never the agent's data or a stack.
    agent.handlers.getRunLogs = () => ({ status: 200, data: { runId, lines: "nope" } });
    expect(await errorOf(await srv.api(`/api/v1/runs/${runId}/logs`, { token: viewer }))).toMatchObject({ status: 500, code: "INTERNAL_ERROR" });
  });

  it("answers 503 AGENT_OFFLINE for what only the agent knows while it is away; the stored view still reads", async () => {
    const runId = await startRun();
    agent.ws.terminate();
    await vi.waitFor(() => expect(srv.ctx.link.isOnline(agent.identity.agentId)).toBe(false));
    for (const path of [`/api/v1/agents/${agent.identity.agentId}/queue`, `/api/v1/agents/${agent.identity.agentId}/health`, `/api/v1/agents/${agent.identity.agentId}/capabilities`, `/api/v1/runs/${runId}/logs`, `/api/v1/datasources/${dsId}/databases`]) {
      expect(await errorOf(await srv.api(path, { token: viewer })), path).toMatchObject({ status: 503, code: "AGENT_OFFLINE", retryable: true });
    }
    expect(await errorOf(await cancel(runId))).toMatchObject({ status: 503, code: "AGENT_OFFLINE" });
    expect((await srv.api(`/api/v1/runs/${runId}/events`, { token: viewer })).status).toBe(200);
    expect((await view(runId)).state).toBe("queued");
  });
});
