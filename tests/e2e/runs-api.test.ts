import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProxiedRig, settled, startProxiedRig } from "../support/proxied-rig.js";
import { waitForAgentStatus, waitForRun } from "../support/processes.js";
import { sha256File } from "../support/restore.js";

// The run contract through the real control plane's REST API, with the agent behind a proxy that
// can drop its link.
describe("runs through the REST API", () => {
  let rig: ProxiedRig;

  beforeAll(async () => {
    rig = await startProxiedRig(60);
  });
  afterAll(async () => {
    await rig?.close();
  });

  const backup = (key?: string) => rig.backup(key);

  /** A loopback port nothing listens on. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  it("keeps a trace of a backup the agent refused for its datasource; stores a datasource that cannot connect only when asked", async () => {
    const connection = { host: "127.0.0.1", port: await closedPort(), database: rig.source.name, username: "postgres" };
    const datasource = { agentId: rig.agent.agentId, name: "closed port", engine: "postgres", connection };
    const tested = await rig.client.post("/datasources", datasource);
    expect(tested.status, JSON.stringify(tested.body)).toBe(503);
    // The agent's own answer to a refused connection: the server is unreachable, worth retrying.
    expect(tested.body.error).toMatchObject({ code: "DATABASE_UNREACHABLE", retryable: true });
    expect((await rig.client.get("/datasources")).body.items.map((d: { name: string }) => d.name)).not.toContain("closed port");

    const untested = await rig.client.post("/datasources", { ...datasource, test: false });
    expect(untested.status, JSON.stringify(untested.body)).toBe(201);
    expect(untested.body.test).toEqual({ skipped: true });

    const refused = await rig.client.post(`/datasources/${untested.body.id}/backups`, { destinationIds: [rig.destinationId] });
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    expect(refused.body.error).toMatchObject({ code: "DATABASE_UNREACHABLE", details: { runId: expect.stringMatching(/^run_/) } });
    expect(refused.body.error.details.blockingIssues.length).toBeGreaterThan(0);
    const runId = refused.body.error.details.runId as string;

    const run = (await rig.client.get(`/runs/${runId}`)).body;
    expect(run).toMatchObject({ state: "failed", trigger: "manual", datasourceId: untested.body.id, error: { code: "DATABASE_UNREACHABLE", details: { blockingIssues: refused.body.error.details.blockingIssues } } });
    expect(run.deliveries).toEqual([expect.objectContaining({ destinationId: rig.destinationId, state: "failed" })]);
    expect((await rig.client.get(`/runs?datasourceId=${untested.body.id}`)).body.items.map((r: { runId: string }) => r.runId)).toEqual([runId]);
    expect((await rig.client.get("/stats")).body.successRate.days7.failed).toBeGreaterThanOrEqual(1);
  });

  it("starts exactly one run when 20 manual backups arrive at once", async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => backup(`hammer-${i}`)));
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 409);
    expect(accepted, JSON.stringify(answers.find((a) => a.status !== 202 && a.status !== 409)?.body)).toHaveLength(1);
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r.body.error).toMatchObject({ code: "BACKUP_ALREADY_RUNNING", details: { runId: accepted[0]!.body.runId } });
    await waitForRun(rig.client, accepted[0]!.body.runId, settled);
  });

  it("answers every retry of one idempotency key with the same run", async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => backup("same-key")));
    expect(new Set(answers.map((a) => a.status)), JSON.stringify(answers.find((a) => a.status !== 202)?.body)).toEqual(new Set([202]));
    expect(new Set(answers.map((a) => a.body.runId)).size).toBe(1);
    const run = await waitForRun(rig.client, answers[0]!.body.runId, settled);
    expect(run.state).toBe("completed");
    const reused = await rig.client.post(`/datasources/${rig.datasourceId}/backups`, { destinationIds: [rig.destinationId, rig.destinationId], idempotencyKey: "same-key" });
    expect(reused.status, JSON.stringify(reused.body)).toBe(422);
    expect(reused.body.error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    // A finished run cannot be cancelled.
    const cancel = await rig.client.post(`/runs/${run.runId}/cancel`);
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(409);
    expect(cancel.body.error.code).toBe("INVALID_STATE_TRANSITION");
  });

  it("cancels a running backup", async () => {
    const started = await backup();
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const cancel = await rig.client.post(`/runs/${started.body.runId}/cancel`);
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(200);
    const run = await waitForRun(rig.client, started.body.runId, settled);
    expect(run.state).toBe("cancelled");
  });

  it("loses no event when the link drops mid-run: every event once, in sequence order", async () => {
    const started = await backup();
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const runId = started.body.runId as string;
    await waitForRun(rig.client, runId, (r) => r.state === "running");
    expect(rig.proxy.cutLinks()).toBeGreaterThan(0);

    const run = await waitForRun(rig.client, runId, settled);
    expect(run.state).toBe("completed");
    expect(run.deliveries[0]).toMatchObject({ state: "completed" });
    expect(await sha256File(run.deliveries[0].path)).toBe(run.sha256);

    const events = (await rig.client.get(`/runs/${runId}/events`)).body.items as { eventId: string; sequence: number; type: string }[];
    const seqs = events.map((e) => e.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events.filter((e) => e.type === "backupStarted")).toHaveLength(1);
    expect(events.at(-1)!.type).toBe("backupCompleted");
    await waitForAgentStatus(rig.client, rig.agent.agentId, "online");
  });
});
