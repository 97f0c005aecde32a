import { randomBytes } from "node:crypto";
import { type DatasourceConfigUpdate, REDACTED, redactConnection } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { seedBackup } from "../testing/seed-backup.js";

const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup", password: "s3cret-pass" };
type Json = Record<string, any>;

describe.each(DIALECTS)("datasources as objects (GET, PATCH, DELETE /datasources/:id) on %s", (dialect) => {
  let srv: TestServer;
  let operator: string;
  let viewer: string;
  let agent: FakeAgent;
  /** What the agent was asked to save, and what it answers: the agent's rules live in its own tests. */
  let updates: DatasourceConfigUpdate[];

  beforeAll(async () => {
    srv = await startTestServer(dialect, { scheduler: false });
    [operator, viewer] = [await srv.token("operator"), await srv.token("viewer")];
    agent = await srv.agent();
    agent.acceptDatasources(redactConnection(PG));
    updates = [];
    agent.handlers.updateDatabaseConfig = (f) => {
      const u = f.payload as DatasourceConfigUpdate;
      updates.push(u);
      const kept = u.storedPassword === "keep" && !("password" in u.connection) && !("passwordFile" in u.connection);
      return {
        status: 200,
        data: {
          datasourceId: u.datasourceId,
          name: u.name,
          engine: u.engine,
          connection: redactConnection(kept ? { ...u.connection, password: "x" } : u.connection),
          maxDurationMinutes: u.maxDurationMinutes ?? 360,
          test: u.test ? { ok: true, latencyMs: 4, serverVersion: "16.4", databaseSizeBytes: null } : null,
        },
      };
    };
  });
  afterAll(async () => srv?.stop());

  const call = async (method: string, path: string, json?: unknown, token = operator) => {
    const res = await srv.api(`/api/v1${path}`, { method, token, ...(json !== undefined ? { json } : {}) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const create = async (name: string, extra: Json = {}) => {
    const res = await call("POST", "/datasources", { agentId: agent.identity.agentId, name, engine: "postgres", connection: PG, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const sent = (type: string) => agent.frames.filter((f) => f.type === type);

  it("keeps tags and a note, shows them in GET and the list, and filters the list by tag and agent", async () => {
    const id = await create("tagged", { tags: ["prod", "team:billing", "prod"], note: "Owned by billing; runbook in the wiki." });
    const { status, body } = await call("GET", `/datasources/${id}`, undefined, viewer);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, name: "tagged", tags: ["prod", "team:billing"], note: "Owned by billing; runbook in the wiki.", maxDurationMinutes: 360, connection: { password: REDACTED } });
    await create("untagged");
    const byTag = await call("GET", "/datasources?tag=team:billing", undefined, viewer);
    expect(byTag.body.items.map((d: Json) => d.id)).toEqual([id]);
    const byAgent = await call("GET", `/datasources?agentId=${agent.identity.agentId}&tag=prod`, undefined, viewer);
    expect(byAgent.body.items.map((d: Json) => d.id)).toEqual([id]);
    expect((await call("GET", "/datasources?tag=", undefined, viewer)).status).toBe(400);
    expect((await call("GET", "/datasources/ds_nope", undefined, viewer)).body.error.code).toBe("DATASOURCE_NOT_FOUND");
  });

  it("pushes a changed connection to the agent, tested, without the mask, and shows what was saved", async () => {
    const id = await create("moved");
    const res = await call("PATCH", `/datasources/${id}`, { name: "moved-too", connection: { host: "db2.internal", port: 6432, password: REDACTED }, maxDurationMinutes: 90, tags: ["eu"] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ name: "moved-too", connection: { host: "db2.internal", port: 6432, password: REDACTED }, maxDurationMinutes: 90, tags: ["eu"], test: { ok: true, serverVersion: "16.4" } });
    expect(updates.at(-1)).toEqual({
      datasourceId: id,
      name: "moved-too",
      engine: "postgres",
      connection: { host: "db2.internal", port: 6432, database: "shop", username: "backup" },
      maxDurationMinutes: 90,
      storedPassword: "keep",
      test: true,
    });
    expect((await call("GET", `/datasources/${id}`)).body).toMatchObject({ name: "moved-too", connection: { host: "db2.internal", port: 6432 } });
  });

  it("keeps a priority for the tools: sent to the agent at creation and on change, null back to the agent's defaults, bad values refused naming the field", async () => {
    const id = await create("gentle", { priority: { nice: 10, ioClass: "idle" } });
    expect(sent("createDatabaseConfig").at(-1)!.payload).toMatchObject({ datasourceId: id, priority: { nice: 10, ioClass: "idle" } });
    expect((await call("GET", `/datasources/${id}`, undefined, viewer)).body.priority).toEqual({ nice: 10, ioClass: "idle" });

    const changed = await call("PATCH", `/datasources/${id}`, { priority: { nice: 5, ioClass: "best-effort", ioLevel: 7 } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.priority).toEqual({ nice: 5, ioClass: "best-effort", ioLevel: 7 });
    expect(updates.at(-1)).toMatchObject({ datasourceId: id, priority: { nice: 5, ioClass: "best-effort", ioLevel: 7 } });

    const cleared = await call("PATCH", `/datasources/${id}`, { priority: null });
    expect(cleared.body.priority).toBeNull();
    expect(updates.at(-1)).toMatchObject({ datasourceId: id, priority: null });

    for (const [priority, field] of [[{ nice: -5 }, "priority.nice"], [{ ioClass: "idle", ioLevel: 3 }, "priority.ioLevel"], [{ ioClass: "realtime" }, "priority.ioClass"], [{}, "priority"]] as const) {
      const refused = await call("PATCH", `/datasources/${id}`, { priority });
      expect(refused.status, JSON.stringify(priority)).toBe(400);
      expect(JSON.stringify(refused.body.error.details)).toContain(field);
    }
    expect((await call("GET", `/datasources/${id}`)).body.priority).toBeNull();
  });

  it("sends a new password to the agent only, switches to a passwordFile with password: null, and skips the test on test: false", async () => {
    const id = await create("rotated");
    const res = await call("PATCH", `/datasources/${id}`, { connection: { password: "n3w-secret" }, test: false });
    expect(res.body).toMatchObject({ connection: { password: REDACTED }, test: { skipped: true } });
    expect(updates.at(-1)).toMatchObject({ connection: { password: "n3w-secret" }, test: false });
    expect(JSON.stringify(res.body)).not.toContain("n3w-secret");
    const rows = await srv.ctx.database.db.select().from(srv.ctx.database.t.datasources);
    expect(JSON.stringify(rows)).not.toContain("n3w-secret");

    const file = await call("PATCH", `/datasources/${id}`, { connection: { password: null, passwordFile: "/etc/holdfast/shop.pw" } });
    expect(file.status).toBe(200);
    expect(file.body.connection).toEqual({ host: "db.internal", port: 5432, database: "shop", username: "backup", passwordFile: "/etc/holdfast/shop.pw" });
    expect(updates.at(-1)).toMatchObject({ connection: { passwordFile: "/etc/holdfast/shop.pw" }, storedPassword: "remove", test: true });
    expect(updates.at(-1)!.connection).not.toHaveProperty("password");
  });

  it("changes nothing on either side when the agent's test fails, and answers its error", async () => {
    const id = await create("guarded");
    const before = (await call("GET", `/datasources/${id}`)).body;
    const saving = agent.handlers.updateDatabaseConfig;
    agent.handlers.updateDatabaseConfig = () => ({ error: { code: "DATABASE_AUTH_FAILED", message: 'password authentication failed for user "backup"', retryable: false } });
    try {
      const res = await call("PATCH", `/datasources/${id}`, { name: "guarded-renamed", connection: { password: "wrong" }, tags: ["x"] });
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: "DATABASE_AUTH_FAILED", message: 'password authentication failed for user "backup"' });
    } finally {
      agent.handlers.updateDatabaseConfig = saving;
    }
    expect((await call("GET", `/datasources/${id}`)).body).toEqual(before);
    // The name it tried is free.
    await create("guarded-renamed");
  });

  it("refuses another engine or agent with a message that says to create a new datasource, asking the agent nothing", async () => {
    const id = await create("fixed");
    const asked = updates.length;
    const engine = await call("PATCH", `/datasources/${id}`, { engine: "mysql", connection: { port: 3306 } });
    expect(engine.status).toBe(400);
    expect(engine.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "engine" }] } });
    expect(engine.body.error.message).toBe("Invalid datasource update: engine: cannot change (it is postgres): create a new datasource for mysql; this one keeps its backups");
    const moved = await call("PATCH", `/datasources/${id}`, { agentId: "agt_elsewhere" });
    expect(moved.body.error.message).toContain("create a new datasource on agent agt_elsewhere");
    // Sent back as it is (a form filled from GET), the engine is no change.
    expect((await call("PATCH", `/datasources/${id}`, { engine: "postgres", agentId: agent.identity.agentId, note: "same engine" })).status).toBe(200);
    const bad = await call("PATCH", `/datasources/${id}`, { connection: { port: "5432" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues).toEqual([{ path: "connection.port", message: expect.any(String) }]);
    expect((await call("PATCH", `/datasources/${id}`, { test: false })).body.error.message).toBe("Invalid datasource update: must change at least one field");
    expect(updates).toHaveLength(asked);
  });

  it("keeps names unique per agent (409 naming the holder) and edits tags and the note without the agent, even offline", async () => {
    const a = await create("alpha");
    const b = await create("beta");
    const taken = await call("PATCH", `/datasources/${b}`, { name: "alpha" });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: "ALREADY_EXISTS", details: { datasourceId: a } });

    const offline = await srv.agent();
    offline.acceptDatasources(redactConnection(PG));
    const res = await call("POST", "/datasources", { agentId: offline.identity.agentId, name: "far", engine: "postgres", connection: PG });
    const far = res.body.id as string;
    offline.ws.terminate();
    await expect.poll(() => srv.ctx.link.isOnline(offline.identity.agentId)).toBe(false);
    const noted = await call("PATCH", `/datasources/${far}`, { note: "agent down for maintenance", tags: ["maint"] });
    expect(noted.status).toBe(200);
    expect(noted.body).toMatchObject({ note: "agent down for maintenance", tags: ["maint"], test: { skipped: true } });
    expect((await call("PATCH", `/datasources/${far}`, { note: null })).body.note).toBeNull();
    const renamed = await call("PATCH", `/datasources/${far}`, { name: "far-away" });
    expect(renamed.status).toBe(503);
    expect(renamed.body.error.code).toBe("AGENT_OFFLINE");
  });

  it("retires a datasource: its config leaves the agent, it leaves the API, its schedules pause, its history and backups stay, its name is free", async () => {
    const id = await create("retiring");
    const target = await create("restore-target");
    const dest = await call("POST", "/destinations", { name: `d-${randomBytes(3).toString("hex")}`, type: "local", config: { path: `${srv.dir}/retire` } });
    const schedule = await call("POST", "/schedules", { datasourceId: id, cron: "0 3 * * *", timezone: "UTC", destinationIds: [dest.body.id] });
    expect(schedule.status).toBe(201);
    const backup = await seedBackup(srv.ctx, { agentId: agent.identity.agentId, datasourceId: id, destinationIds: [dest.body.id], bytes: randomBytes(100) });

    const res = await call("DELETE", `/datasources/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id, deletedAt: expect.any(String), pausedScheduleIds: [schedule.body.id] });
    expect(sent("deleteDatabaseConfig").at(-1)).toMatchObject({ payload: { datasourceId: id } });

    const gone = await call("GET", `/datasources/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toContain("was deleted at");
    expect((await call("GET", "/datasources")).body.items.map((d: Json) => d.id)).not.toContain(id);
    const refused = await call("POST", `/datasources/${id}/backups`, { destinationIds: [dest.body.id] });
    expect(refused.body.error.code).toBe("DATASOURCE_NOT_FOUND");
    expect((await call("POST", "/schedules", { datasourceId: id, cron: "0 3 * * *", timezone: "UTC", destinationIds: [dest.body.id] })).body.error.code).toBe("DATASOURCE_NOT_FOUND");
    expect((await call("GET", `/schedules/${schedule.body.id}`)).body.paused).toBe(true);
    expect((await call("POST", `/schedules/${schedule.body.id}/resume`)).body.error.code).toBe("DATASOURCE_NOT_FOUND");
    expect((await call("POST", `/runs/${backup}/restore`, { targetDatasourceId: id })).body.error.code).toBe("DATASOURCE_NOT_FOUND");
    expect((await call("PATCH", `/datasources/${id}`, { note: "x" })).status).toBe(404);
    expect((await call("DELETE", `/datasources/${id}`)).status).toBe(404);

    // History stays: its runs, its backup restorable into another datasource, downloadable.
    expect((await call("GET", `/runs?datasourceId=${id}`)).body.items.map((r: Json) => r.runId)).toEqual([backup]);
    agent.handlers.startRestore = (f) => ({ status: 202, data: { runId: (f.payload as { runId: string }).runId, state: "running" } });
    const restore = await call("POST", `/runs/${backup}/restore`, { targetDatasourceId: target });
    expect(restore.status, JSON.stringify(restore.body)).toBe(202);
    expect((await srv.api(`/api/v1/runs/${backup}/artifact`, { token: operator, method: "HEAD" })).status).toBe(200);

    // The name is free on that agent again.
    const again = await create("retiring");
    expect(again).not.toBe(id);
  });

  it("changes nothing when the agent refuses (a run in progress), waits for an offline agent, and retires without asking a revoked one", async () => {
    const id = await create("busy");
    agent.handlers.deleteDatabaseConfig = () => ({ error: { code: "INVALID_STATE_TRANSITION", message: `Datasource ${id} has a running run (run_x); cancel it first`, retryable: false } });
    const busy = await call("DELETE", `/datasources/${id}`);
    expect(busy.status).toBe(409);
    expect(busy.body.error.message).toContain("cancel it first");
    expect((await call("GET", `/datasources/${id}`)).status).toBe(200);
    agent.acceptDatasources(redactConnection(PG));

    const other = await srv.agent();
    other.acceptDatasources(redactConnection(PG));
    const far = (await call("POST", "/datasources", { agentId: other.identity.agentId, name: "far", engine: "postgres", connection: PG })).body.id as string;
    other.ws.terminate();
    await expect.poll(() => srv.ctx.link.isOnline(other.identity.agentId)).toBe(false);
    const offline = await call("DELETE", `/datasources/${far}`);
    expect(offline.status).toBe(503);
    expect(offline.body.error.message).toContain("keeps the password");
    expect((await call("POST", `/agents/${other.identity.agentId}/revoke`, undefined, await srv.token("admin"))).status).toBe(200);
    expect((await call("DELETE", `/datasources/${far}`)).status).toBe(200);
  });
});
