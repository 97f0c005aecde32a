import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase, snapshotTables } from "../support/postgres.js";
import { type Agent, type Api, type Stack, startStack, tempDir, waitForRun } from "../support/processes.js";
import { restorePlainGzip, sha256File } from "../support/restore.js";
import { loadAwkwardData } from "../support/sample-data.js";

// The walking skeleton's promise: a database backed up by a real agent, pulled by a real control
// plane, delivered to a folder, restored with stock tools, equals the original. Run on both of the
// control plane's dialects.
describe.each(["sqlite", "postgres"] as const)("backup → delivery → restore (control plane on %s)", (dialect) => {
  let stack: Stack;
  let agent: Agent;
  let client: Api;
  const dbs: ScratchDatabase[] = [];
  // Left by the first test for the restores through Holdfast.
  let backup: { runId: string; delivered: string; source: ScratchDatabase } | undefined;

  beforeAll(async () => {
    const cpDb = dialect === "postgres" ? await createScratchDatabase("hf_cp") : undefined;
    if (cpDb) dbs.push(cpDb);
    stack = await startStack(cpDb ? { databaseUrl: cpDb.url } : {});
    ({ agent, client } = stack);
  });

  afterAll(async () => {
    await stack?.stop();
    for (const db of dbs) await db.drop();
  });

  it("restores a delivered backup into a fresh database with every table equal", async () => {
    const source = await createScratchDatabase("hf_src");
    const target = await createScratchDatabase("hf_dst");
    dbs.push(source, target);
    await loadAwkwardData(source.url);

    const agents = await client.get("/agents");
    expect(agents.status).toBe(200);
    const listed = agents.body.items.find((a: { id: string }) => a.id === agent.agentId);
    expect(listed).toMatchObject({ status: "online", name: "e2e-agent" });
    expect(listed.version).toEqual(expect.any(String));

    const ds = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "awkward",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    expect(ds.status).toBe(201);

    const test = await client.post(`/datasources/${ds.body.id}/test`);
    expect(test.status).toBe(200);
    expect(test.body.serverVersion).toMatch(/PostgreSQL/);

    const folder = tempDir("dest");
    const dest = await client.post("/destinations", { name: "local", type: "local", config: { path: folder } });
    expect(dest.status).toBe(201);

    const started = await client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [dest.body.id] });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;

    const run = await waitForRun(client, runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state !== "pending" && d.state !== "running")));
    expect(run).toMatchObject({ runId, kind: "backup", state: "completed", error: null });
    expect(run.deliveries).toEqual([expect.objectContaining({ destinationId: dest.body.id, state: "completed" })]);
    const delivered = run.deliveries[0].path as string;
    expect(delivered.startsWith(folder)).toBe(true);
    expect(await sha256File(delivered)).toBe(run.sha256);

    await restorePlainGzip(delivered, target.name);
    const [before, after] = await Promise.all([snapshotTables(source.url), snapshotTables(target.url)]);
    expect(Object.keys(before)).toEqual(["Sales.Order Lines", "public.big_rows", "public.blobs", "public.people"]);
    expect(after).toEqual(before);
    backup = { runId, delivered, source };
  });

  async function restoreThroughHoldfast(target: ScratchDatabase) {
    const ds = await client.post("/datasources", {
      agentId: agent.agentId,
      name: `restore target ${target.name}`,
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: target.name, username: "postgres" },
    });
    expect(ds.status).toBe(201);
    const started = await client.post(`/runs/${backup!.runId}/restore`, { targetDatasourceId: ds.body.id });
    expect(started.status).toBe(202);
    return waitForRun(client, started.body.runId, (r) => r.state === "completed" || r.state === "failed");
  }

  it("restores through Holdfast: the control plane streams the delivered copy, the agent verifies and restores", async () => {
    expect(backup).toBeDefined();
    const target = await createScratchDatabase("hf_rst");
    dbs.push(target);
    const run = await restoreThroughHoldfast(target);
    expect(run).toMatchObject({ kind: "restore", state: "completed", sourceRunId: backup!.runId, error: null });
    const [before, after] = await Promise.all([snapshotTables(backup!.source.url), snapshotTables(target.url)]);
    expect(after).toEqual(before);
  });

  it("refuses a copy corrupted at rest before touching the target (CHECKSUM_MISMATCH at verify)", async () => {
    expect(backup).toBeDefined();
    const { open } = await import("node:fs/promises");
    const file = await open(backup!.delivered, "r+");
    const byte = Buffer.alloc(1);
    const at = Math.floor((await file.stat()).size / 2);
    await file.read(byte, 0, 1, at);
    await file.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, at);
    await file.close();
    const target = await createScratchDatabase("hf_rstbad");
    dbs.push(target);
    const run = await restoreThroughHoldfast(target);
    expect(run).toMatchObject({ kind: "restore", state: "failed", error: { code: "CHECKSUM_MISMATCH", details: { stage: "verify" } } });
    expect(await snapshotTables(target.url)).toEqual({});
  });
});
