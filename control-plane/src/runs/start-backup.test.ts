import type { ErrorBody } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };
const BLOCKING = [{ code: "DB_CONNECTION_TEST_FAILED", message: "connection to 127.0.0.1:1 refused" }];

describe("POST /datasources/:id/backups refused by the agent", () => {
  let srv: TestServer;
  let operator: string;
  let viewer: string;
  let agent: FakeAgent;
  let dsId: string;
  let destIds: string[];

  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
    [operator, viewer] = [await srv.token("operator"), await srv.token("viewer")];
    agent = await srv.agent();
    agent.acceptDatasources(PG);
    const ds = await srv.api("/api/v1/datasources", { method: "POST", token: operator, json: { agentId: agent.identity.agentId, name: "shop", engine: "postgres", connection: PG } });
    dsId = ((await ds.json()) as { id: string }).id;
    destIds = [];
    for (const name of ["disk", "disk2"]) {
      const dst = await srv.api("/api/v1/destinations", { method: "POST", token: operator, json: { name, type: "local", config: { path: `${srv.dir}/${name}` } } });
      destIds.push(((await dst.json()) as { id: string }).id);
    }
  });
  afterAll(async () => srv?.stop());

  const backup = (json: Record<string, unknown> = {}) => srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: operator, json: { destinationIds: destIds, ...json } });
  const refuseWith = (error: ErrorBody) => {
    agent.handlers.startBackup = () => ({ error });
  };
  const read = async (path: string) => (await (await srv.api(`/api/v1${path}`, { token: viewer })).json()) as Record<string, any>;
  const runCount = async () => (await srv.ctx.database.db.select().from(srv.ctx.database.t.runs)).length;

  it("records a preflight refusal as a failed run with the agent's error, its deliveries failed, and names it in details.runId", async () => {
    const refusal = { code: "PRECONDITION_FAILED", message: "The backup cannot start: connection to 127.0.0.1:1 refused", retryable: true, details: { datasourceId: dsId, blockingIssues: BLOCKING, warnings: [] } } as const;
    refuseWith(refusal);
    const res = await backup();
    expect(res.status).toBe(503);
    const { error } = (await res.json()) as { error: Record<string, any> };
    expect(error).toMatchObject({ code: "PRECONDITION_FAILED", message: refusal.message, retryable: true, details: { blockingIssues: BLOCKING, runId: expect.stringMatching(/^run_/) } });

    const run = await read(`/runs/${error.details.runId}`);
    expect(run).toMatchObject({ state: "failed", trigger: "manual", datasourceId: dsId, error: refusal, queuedAt: null, finishedAt: expect.any(String) });
    expect(run.deliveries).toHaveLength(2);
    for (const d of run.deliveries) expect(d.state).toBe("failed");
    const deliveries = await read(`/runs/${error.details.runId}/deliveries`);
    expect(deliveries.items[0].error).toMatchObject({ code: "DELIVERY_FAILED" });
    expect((await read(`/runs?datasourceId=${dsId}&state=failed`)).items.map((r: { runId: string }) => r.runId)).toContain(error.details.runId);
    expect((await read("/stats?days=1")).successRate.days7.failed).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ["DATABASE_AUTH_FAILED", 422, false],
    ["DATABASE_NOT_FOUND", 422, false],
    ["DATABASE_UNREACHABLE", 503, true],
    ["TOOL_NOT_FOUND", 503, false],
  ] as const)("records %s (%i) the same way", async (code, status, retryable) => {
    refuseWith({ code, message: `agent says ${code}`, retryable, details: { blockingIssues: [{ code, message: "why" }] } });
    const res = await backup();
    expect(res.status).toBe(status);
    const { error } = (await res.json()) as { error: Record<string, any> };
    expect(error).toMatchObject({ code, retryable, details: { runId: expect.any(String) } });
    expect(await read(`/runs/${error.details.runId}`)).toMatchObject({ state: "failed", error: { code, message: `agent says ${code}` } });
  });

  it("answers a retry of the same idempotency key with the same refusal, without asking the agent again", async () => {
    refuseWith({ code: "DATABASE_UNREACHABLE", message: "no route to host", retryable: true });
    const first = (await (await backup({ idempotencyKey: "refused-1" })).json()) as { error: Record<string, any> };
    const asked = agent.frames.filter((f) => f.type === "startBackup").length;
    agent.handlers.startBackup = (f) => ({ status: 202, data: { runId: (f.payload as { runId: string }).runId, state: "running", queuedPosition: null } });
    const again = await backup({ idempotencyKey: "refused-1" });
    expect(again.status).toBe(503);
    expect(((await again.json()) as { error: unknown }).error).toMatchObject({ code: "DATABASE_UNREACHABLE", details: { runId: first.error.details.runId } });
    expect(agent.frames.filter((f) => f.type === "startBackup")).toHaveLength(asked);
    // A new key is a new attempt.
    expect((await backup({ idempotencyKey: "refused-2" })).status).toBe(202);
  });

  it("records nothing for a refusal that says nothing about the datasource: busy, stopping, or a malformed request", async () => {
    const before = await runCount();
    refuseWith({ code: "BACKUP_ALREADY_RUNNING", message: "A backup is running", retryable: true, details: { runId: "run_other" } });
    expect((await backup()).status).toBe(409);
    refuseWith({ code: "AGENT_STOPPING", message: "shutting down", retryable: true });
    expect((await backup()).status).toBe(503);
    expect((await backup({ destinationIds: "dst_1" })).status).toBe(400);
    expect(await runCount()).toBe(before);
  });

  it("records nothing while the agent is offline", async () => {
    const before = await runCount();
    agent.ws.terminate();
    await expect.poll(() => srv.ctx.link.isOnline(agent.identity.agentId), { timeout: 10_000 }).toBe(false);
    const res = await backup();
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("AGENT_OFFLINE");
    expect(await runCount()).toBe(before);
  });
});
