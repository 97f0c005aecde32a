import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FaultProxy } from "../support/fault-proxy.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type Agent, type Api, api, type ControlPlane, createAdmin, enrollAgent, startControlPlane, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { sha256File } from "../support/restore.js";
import { loadBulkData } from "../support/sample-data.js";

// The run contract through the real control plane's REST API, with the agent behind a proxy that
// can drop its link.
describe("runs through the REST API", () => {
  let cp: ControlPlane;
  let proxy: FaultProxy;
  let agent: Agent;
  let client: Api;
  let source: ScratchDatabase;
  let datasourceId: string;
  let destinationId: string;

  beforeAll(async () => {
    source = await createScratchDatabase("hf_runs");
    await loadBulkData(source.url, 60);
    cp = await startControlPlane();
    client = api(cp, await createAdmin(cp));
    proxy = await FaultProxy.start(cp.port);
    agent = await enrollAgent(cp, { serverUrl: proxy.url });
    await agent.start();
    await waitForAgentStatus(client, agent.agentId, "online");
    datasourceId = (
      await client.post("/datasources", {
        agentId: agent.agentId,
        name: "bulk",
        engine: "postgres",
        connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
      })
    ).body.id;
    destinationId = (await client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("dest") } })).body.id;
  });

  afterAll(async () => {
    await agent?.process?.stop();
    await cp?.process.stop();
    await proxy?.close();
    await source?.drop();
  });

  const settled = (r: { state: string; deliveries: { state: string }[] }) =>
    ["failed", "cancelled", "expired"].includes(r.state) || (r.state === "completed" && r.deliveries.every((d) => d.state === "completed" || d.state === "failed"));
  const backup = (key?: string) => client.post(`/datasources/${datasourceId}/backups`, { destinationIds: [destinationId], ...(key ? { idempotencyKey: key } : {}) });

  it("starts exactly one run when 20 manual backups arrive at once", async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => backup(`hammer-${i}`)));
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted, JSON.stringify(answers.find((a) => a.status !== 202 && a.status !== 409)?.body)).toHaveLength(1);
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r.body.error).toMatchObject({ code: "BACKUP_ALREADY_RUNNING", details: { runId: accepted[0]!.body.runId } });
    await waitForRun(client, accepted[0]!.body.runId, settled);
  });

  it("answers every retry of one idempotency key with the same run", async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => backup("same-key")));
    expect(new Set(answers.map((a) => a.status)), JSON.stringify(answers.find((a) => a.status !== 202)?.body)).toEqual(new Set([202]));
    expect(new Set(answers.map((a) => a.body.runId)).size).toBe(1);
    const run = await waitForRun(client, answers[0]!.body.runId, settled);
    expect(run.state).toBe("completed");
    const reused = await client.post(`/datasources/${datasourceId}/backups`, { destinationIds: [destinationId, destinationId], idempotencyKey: "same-key" });
    expect(reused.status, JSON.stringify(reused.body)).toBe(422);
    expect(reused.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    // A finished run cannot be cancelled.
    const cancel = await client.post(`/runs/${run.runId}/cancel`);
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(409);
    expect(cancel.body.error.code).toBe("INVALID_STATE_TRANSITION");
  });

  it("cancels a running backup", async () => {
    const started = await backup();
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const cancel = await client.post(`/runs/${started.body.runId}/cancel`);
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    const run = await waitForRun(client, started.body.runId, settled);
    expect(run.state).toBe("cancelled");
  });

  it("loses no event when the link drops mid-run: every event once, in sequence order", async () => {
    const started = await backup();
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const runId = started.body.runId as string;
    await waitForRun(client, runId, (r) => r.state === "running");
    expect(proxy.cutLinks()).toBeGreaterThan(0);

    const run = await waitForRun(client, runId, settled);
    expect(run.state).toBe("completed");
    expect(run.deliveries[0]).toMatchObject({ state: "completed" });
    expect(await sha256File(run.deliveries[0].path)).toBe(run.sha256);

    const events = (await client.get(`/runs/${runId}/events`)).body.items as { eventId: string; sequence: number; type: string }[];
    const seqs = events.map((e) => e.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events.filter((e) => e.type === "backupStarted")).toHaveLength(1);
    expect(events.at(-1)!.type).toBe("backupCompleted");
    await waitForAgentStatus(client, agent.agentId, "online");
  });
});
