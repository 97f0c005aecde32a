import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup", password: "s3cret-pass" };

describe.each(DIALECTS)("POST /datasources on %s", (dialect) => {
  let srv: TestServer;
  let operator: string;
  let agent: FakeAgent;

  beforeAll(async () => {
    srv = await startTestServer(dialect);
    operator = await srv.token("operator");
    agent = await srv.agent();
  });
  afterAll(async () => srv?.stop());

  const create = (json: Record<string, unknown>) => srv.api("/api/v1/datasources", { method: "POST", token: operator, json: { agentId: agent.identity.agentId, engine: "postgres", connection: PG, ...json } });
  const body = async (res: Response) => (await res.json()) as Record<string, any>;
  const sent = (type: string) => agent.frames.filter((f) => f.type === type);
  const storedNames = async () => (await srv.ctx.database.db.select({ name: srv.ctx.database.t.datasources.name }).from(srv.ctx.database.t.datasources)).map((r) => r.name);

  it("tests the connection through the agent before storing, and says so", async () => {
    agent.acceptDatasources(PG);
    const res = await create({ name: "tested" });
    expect(res.status).toBe(201);
    const created = await body(res);
    expect(created.test).toEqual({ ok: true, latencyMs: 3, serverVersion: "16.4" });
    expect(sent("testDatabaseConnection").at(-1)).toMatchObject({ payload: { datasourceId: created.id } });
    expect(await storedNames()).toContain("tested");
  });

  it("stores nothing anywhere when the connection fails: the config leaves the agent, the agent's error is the answer", async () => {
    agent.acceptDatasources(PG);
    agent.handlers.testDatabaseConnection = () => ({ error: { code: "DATABASE_AUTH_FAILED", message: 'password authentication failed for user "backup"', retryable: false } });
    const res = await create({ name: "wrong-password" });
    expect(res.status).toBe(422);
    expect((await body(res)).error).toMatchObject({ code: "DATABASE_AUTH_FAILED", message: 'password authentication failed for user "backup"' });
    const createdOnAgent = (sent("createDatabaseConfig").at(-1)!.payload as { datasourceId: string }).datasourceId;
    expect(sent("deleteDatabaseConfig").at(-1)).toMatchObject({ payload: { datasourceId: createdOnAgent }, idempotencyKey: expect.any(String) });
    expect(await storedNames()).not.toContain("wrong-password");
    // The name is free again for a config that works.
    agent.acceptDatasources(PG);
    expect((await create({ name: "wrong-password" })).status).toBe(201);
  });

  it('stores an untested one with "test": false (a restore target not created yet)', async () => {
    agent.acceptDatasources(PG);
    agent.handlers.testDatabaseConnection = () => ({ error: { code: "DATABASE_NOT_FOUND", message: 'database "shop" does not exist', retryable: false } });
    const before = sent("testDatabaseConnection").length;
    const res = await create({ name: "restore-target", test: false });
    expect(res.status).toBe(201);
    expect((await body(res)).test).toEqual({ skipped: true });
    expect(sent("testDatabaseConnection")).toHaveLength(before);
    expect(await storedNames()).toContain("restore-target");
  });

  it("refuses a name its agent already has with 409 ALREADY_EXISTS naming that datasource, before asking the agent", async () => {
    agent.acceptDatasources(PG);
    const first = await body(await create({ name: "orders" }));
    const asked = sent("createDatabaseConfig").length;
    const res = await create({ name: "orders", test: false });
    expect(res.status).toBe(409);
    const { error } = await body(res);
    expect(error).toMatchObject({ code: "ALREADY_EXISTS", details: { datasourceId: first.id, name: "orders", agentId: agent.identity.agentId } });
    expect(error.message).toContain(first.id);
    expect(sent("createDatabaseConfig")).toHaveLength(asked);
    // Another agent may use the name.
    const other = await srv.agent();
    other.acceptDatasources(PG);
    const elsewhere = await srv.api("/api/v1/datasources", { method: "POST", token: operator, json: { agentId: other.identity.agentId, name: "orders", engine: "postgres", connection: PG } });
    expect(elsewhere.status).toBe(201);
  });

  it("answers the same 409 to the loser of two creations racing past the check, and removes its config from the agent", async () => {
    agent.acceptDatasources(PG);
    // Both creations pass the name check and reach the agent's test before either is stored.
    let waiting: Array<() => void> = [];
    agent.handlers.testDatabaseConnection = () =>
      new Promise((resolve) => {
        waiting.push(() => resolve({ status: 200, data: { ok: true, latencyMs: 1, serverVersion: "16.4", databaseSizeBytes: null } }));
        if (waiting.length === 2) for (const go of waiting) go();
      });
    const [a, b] = await Promise.all([create({ name: "race" }), create({ name: "race" })]);
    waiting = [];
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const [winner, loser] = a.status === 201 ? [await body(a), await body(b)] : [await body(b), await body(a)];
    expect(loser.error).toMatchObject({ code: "ALREADY_EXISTS", details: { datasourceId: winner.id } });
    const racers = sent("createDatabaseConfig").slice(-2).map((f) => (f.payload as { datasourceId: string }).datasourceId);
    const loserId = racers.find((id) => id !== winner.id);
    expect(sent("deleteDatabaseConfig").map((f) => (f.payload as { datasourceId: string }).datasourceId)).toContain(loserId);
    expect((await storedNames()).filter((n) => n === "race")).toHaveLength(1);
  });
});
