import { createHash, randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "@holdfast/shared";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { spooledPath } from "../artifacts/spool.js";

const SINGLE = { host: "db.internal", port: 5432, database: "shop", username: "backup" };
const SERVER = { ...SINGLE, database: "*" };

// Issue 19, a whole server in one job, at the API: what the control plane refuses before asking the
// agent, what it relays, and what a restore of a whole server's backup carries to the agent.
describe("whole-server datasources at the API", () => {
  let srv: TestServer;
  let operator: string;
  let agent: FakeAgent;
  let server: string;
  let single: string;
  let destIds: string[];
  const restores: Array<Record<string, unknown>> = [];

  const create = async (name: string, connection: object) => {
    agent.acceptDatasources(connection);
    const res = await srv.api("/api/v1/datasources", { method: "POST", token: operator, json: { agentId: agent.identity.agentId, name, engine: "postgres", connection } });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; details?: Record<string, any> } }).error;
  const backup = (datasourceId: string, options: unknown) => srv.api(`/api/v1/datasources/${datasourceId}/backups`, { method: "POST", token: operator, json: { destinationIds: destIds, options } });
  const runCount = async () => (await srv.ctx.database.db.select().from(srv.ctx.database.t.runs)).length;

  /** A completed backup of `datasourceId` in the spool, as `format` (`server` or `plain`). */
  async function backupRun(datasourceId: string, format: "server" | "plain") {
    const runId = newId("run");
    const artifact = randomBytes(100);
    const { db, t } = srv.ctx.database;
    await db.insert(t.runs).values({
      id: runId, kind: "backup", trigger: "manual", agentId: agent.identity.agentId, datasourceId, state: "completed",
      idempotencyKey: newId("idem"), sizeBytes: artifact.length, sha256: createHash("sha256").update(artifact).digest("hex"),
      fileName: `${runId}${format === "server" ? ".server.tar.gz" : ".sql.gz"}`, createdAt: Date.now(),
      artifactMeta: JSON.stringify({ codec: "gzip", format, ...(format === "server" ? { databases: ["shop", "crm"] } : {}) }),
    });
    await writeFile(spooledPath(srv.ctx.env.spoolDir, runId), artifact);
    return runId;
  }
  const restore = (source: string, json: unknown) => srv.api(`/api/v1/runs/${source}/restore`, { method: "POST", token: operator, json });

  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
    operator = await srv.token("operator");
    agent = await srv.agent();
    server = await create("whole server", SERVER);
    single = await create("shop", SINGLE);
    agent.handlers.startRestore = (f) => {
      const p = f.payload as { runId: string };
      restores.push(p);
      return { status: 202, data: { runId: p.runId, state: "running" } };
    };
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: operator, json: { name: "disk", type: "local", config: { path: join(srv.dir, "backups") } } });
    destIds = [((await dst.json()) as { id: string }).id];
  });
  afterAll(async () => srv?.stop());

  it("refuses what a whole server cannot take, and databases on a single database, before asking the agent (400 naming the option)", async () => {
    const asked = agent.frames.filter((f) => f.type === "startBackup").length;
    for (const [datasourceId, options, path] of [
      [server, { verify: true }, "options.verify"],
      [server, { format: "custom" }, "options.format"],
      [server, { tables: { include: ["t"] } }, "options.tables"],
      [single, { databases: { include: ["x"] } }, "options.databases"],
      [single, { format: "server" }, "options.format"],
    ] as const) {
      const res = await backup(datasourceId, options);
      expect(res.status, JSON.stringify(options)).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path }] } });
    }
    const sch = await srv.api("/api/v1/schedules", { method: "POST", token: operator, json: { datasourceId: server, cron: "0 3 * * *", timezone: "UTC", destinationIds: destIds, verify: true } });
    expect(sch.status).toBe(400);
    expect(agent.frames.filter((f) => f.type === "startBackup")).toHaveLength(asked);
  });

  it("relays the agent's NO_DATABASE_MATCHED as 422 and keeps no run: the request was the problem", async () => {
    const before = await runCount();
    agent.handlers.startBackup = () => ({
      error: { code: "NO_DATABASE_MATCHED", message: "The backup cannot start: options.databases matches no database on the server", retryable: false, details: { blockingIssues: [{ code: "NO_DATABASE_MATCHED", message: "none" }] } },
    });
    const res = await backup(server, { databases: { include: ["nothing_*"] } });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).code).toBe("NO_DATABASE_MATCHED");
    expect(await runCount()).toBe(before);
  });

  it("restores a whole server's backup only into a whole-server datasource, and a single database's never into one (409)", async () => {
    const whole = await backupRun(server, "server");
    const one = await backupRun(single, "plain");
    for (const [source, target] of [[whole, single], [one, server]] as const) {
      const res = await restore(source, { targetDatasourceId: target });
      expect(res.status).toBe(409);
      expect((await errorOf(res)).code).toBe("RUN_NOT_RESTORABLE");
    }
    const chosen = await restore(one, { targetDatasourceId: single, options: { databases: { include: ["shop"] } } });
    expect(chosen.status).toBe(400);
    expect(await errorOf(chosen)).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "options.databases" }] } });
    const twoIntoOne = await restore(whole, { targetDatasourceId: server, options: { rename: { shop: "x", crm: "x" } } });
    expect(twoIntoOne.status).toBe(400);
  });

  it("sends the databases chosen, their new names and the globals to the agent", async () => {
    const whole = await backupRun(server, "server");
    const options = { databases: { include: ["shop"] }, rename: { shop: "shop_restored" }, globals: true };
    const res = await restore(whole, { targetDatasourceId: server, options });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    expect(restores.find((p) => p.runId === runId)).toMatchObject({ options, artifact: { format: "server", codec: "gzip", encrypted: false } });
    const run = (await (await srv.api(`/api/v1/runs/${whole}`, { token: operator })).json()) as { artifact: { databases?: string[] } };
    expect(run.artifact.databases).toEqual(["shop", "crm"]);
  });
});
