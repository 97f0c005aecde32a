import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase, snapshotTables } from "../support/postgres.js";
import { type Api, type Stack, startStack, tempDir, waitForRun } from "../support/processes.js";
import { loadAwkwardData } from "../support/sample-data.js";

const settledWithDeliveries = (r: { state: string; deliveries: { state: string }[] }) =>
  r.state === "failed" || (r.state === "completed" && r.deliveries.every((d) => d.state !== "pending" && d.state !== "running"));

// The restore drill seen from the API: one switch on a manual backup, a verdict on the run, and the
// artifact's recorded kind driving the restore.
describe("restore drill and artifact metadata through the control plane", () => {
  let stack: Stack;
  let client: Api;
  const dbs: ScratchDatabase[] = [];
  let source: ScratchDatabase;
  let datasourceId: string;
  let destinationId: string;

  beforeAll(async () => {
    stack = await startStack();
    client = stack.client;
    source = await createScratchDatabase("hf_drill_src");
    dbs.push(source);
    await loadAwkwardData(source.url);
    const ds = await client.post("/datasources", {
      agentId: stack.agent.agentId,
      name: "drilled",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    datasourceId = ds.body.id;
    destinationId = (await client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("drill-dest") } })).body.id;
  });
  afterAll(async () => {
    await stack?.stop();
    for (const db of dbs) await db.drop();
  });

  it("records verified: true and the artifact's format and codec; a restore through Holdfast uses them", async () => {
    const started = await client.post(`/datasources/${datasourceId}/backups`, {
      destinationIds: [destinationId],
      options: { format: "custom", compression: { codec: "zstd", level: 3 }, verify: true },
    });
    expect(started.status).toBe(202);
    const run = await waitForRun(client, started.body.runId, settledWithDeliveries);
    expect(run).toMatchObject({ state: "completed", verified: true, artifact: { format: "custom", codec: "zstd", level: 3 }, options: { verify: true } });
    expect(run.verification).toMatchObject({ verified: true, checked: 4, mismatches: [] });

    const target = await createScratchDatabase("hf_drill_dst");
    dbs.push(target);
    const ds = await client.post("/datasources", {
      agentId: stack.agent.agentId,
      name: "target",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: target.name, username: "postgres" },
    });
    const restore = await client.post(`/runs/${run.runId}/restore`, { targetDatasourceId: ds.body.id });
    expect(restore.status).toBe(202);
    const restored = await waitForRun(client, restore.body.runId, (r) => r.state === "completed" || r.state === "failed");
    expect(restored).toMatchObject({ kind: "restore", state: "completed" });
    expect(await snapshotTables(target.url)).toEqual(await snapshotTables(source.url));

    // Another engine's datasource is no target for a PostgreSQL backup.
    const mysql = await client.post("/datasources", {
      agentId: stack.agent.agentId,
      name: "a mysql target",
      engine: "mysql",
      connection: { host: "127.0.0.1", port: 3306, database: "nothing_here", username: "root" },
      test: false,
    });
    expect(mysql.status).toBe(201);
    const refused = await client.post(`/runs/${run.runId}/restore`, { targetDatasourceId: mysql.body.id });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "RUN_NOT_RESTORABLE", details: { sourceEngine: "postgres", targetEngine: "mysql" } });
  });

  it("refuses options the engine cannot honour, before anything is recorded", async () => {
    const r = await client.post(`/datasources/${datasourceId}/backups`, { destinationIds: [destinationId], options: { format: "tar" } });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "options.format" }] } });
  });
});
