import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultProxy } from "../support/fault-proxy.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type Agent, type Api, api, type ControlPlane, createAdmin, enrollAgent, startControlPlane, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { sha256File } from "../support/restore.js";
import { loadBulkData } from "../support/sample-data.js";

// The agent reaches the control plane through a proxy that can cut an upload mid-stream.
describe("one slot per agent, and transfers that survive a cut", () => {
  let cp: ControlPlane;
  let proxy: FaultProxy;
  let agent: Agent;
  let client: Api;
  let source: ScratchDatabase;
  let datasourceId: string;
  let destinationId: string;
  let folder: string;

  beforeAll(async () => {
    source = await createScratchDatabase("hf_bulk");
    await loadBulkData(source.url, 40);
    cp = await startControlPlane();
    client = api(cp, await createAdmin(cp));
    proxy = await FaultProxy.start(cp.port);
    agent = await enrollAgent(cp, { serverUrl: proxy.url });
    await agent.start();
    await waitForAgentStatus(client, agent.agentId, "online");
    const ds = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "bulk",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    datasourceId = ds.body.id;
    folder = tempDir("dest");
    destinationId = (await client.post("/destinations", { name: "local", type: "local", config: { path: folder } })).body.id;
  });

  afterAll(async () => {
    await agent?.process?.stop();
    await cp?.process.stop();
    await proxy?.close();
    await source?.drop();
  });

  const delivered = (r: { state: string; deliveries: { state: string }[] }) =>
    r.state === "failed" || (r.state === "completed" && r.deliveries.every((d) => d.state === "completed" || d.state === "failed"));

  it("refuses a manual backup while another runs, naming the running one", async () => {
    const first = await client.post(`/datasources/${datasourceId}/backups`, { destinationIds: [destinationId] });
    expect(first.status).toBe(202);
    const second = await client.post(`/datasources/${datasourceId}/backups`, { destinationIds: [destinationId] });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: "BACKUP_ALREADY_RUNNING", retryable: true, details: { runId: first.body.runId } });

    const run = await waitForRun(client, first.body.runId, delivered);
    expect(run.state).toBe("completed");
  });

  it("resumes an upload cut at 20 random points, each time from its offset, and delivers bytes that match the hash", async () => {
    proxy.uploadOffsets.length = 0;
    // Cut points well inside the artifact (about 20 MB): between 64 KiB and 512 KiB into each upload.
    const cuts = Array.from({ length: 20 }, () => 65_536 + Math.floor(Math.random() * 458_752));
    proxy.cutUploadsAfter(cuts);
    const started = await client.post(`/datasources/${datasourceId}/backups`, { destinationIds: [destinationId] });
    expect(started.status).toBe(202);

    const run = await waitForRun(client, started.body.runId, delivered);
    expect(run.state).toBe("completed");
    expect(run.deliveries[0]).toMatchObject({ state: "completed" });
    expect(proxy.cutsPending).toBe(0);
    // At least 21 uploads: the first from 0, each later one from the bytes the control plane held
    // (never going back; equal when a try brought no byte, as when the cut fell before the control
    // plane began reading the body).
    const offsets = proxy.uploadOffsets;
    expect(offsets[0]).toBe(0);
    expect(offsets.length).toBeGreaterThanOrEqual(21);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeGreaterThanOrEqual(offsets[i - 1]!);
    expect(offsets.at(-1)).toBeGreaterThan(0);
    expect(run.sizeBytes).toBeGreaterThan(offsets.at(-1)!);
    expect(await sha256File(run.deliveries[0].path)).toBe(run.sha256);
  });
});
