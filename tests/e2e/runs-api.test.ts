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
