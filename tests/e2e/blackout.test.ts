import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type Agent, type Api, api, type ControlPlane, createAdmin, enrollAgent, startControlPlane, tempDir, waitFor, waitForAgentStatus, waitForRun } from "../support/processes.js";

const ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MIN = 60_000;
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

type RunItem = { runId: string; state: string; fireTime: string | null; error: { code: string; details?: Record<string, any> } | null };

// Blackout windows through real processes: an agent's window keeps a real schedule from starting
// backups (skipped firings recorded missed, deferred ones run once at the window's end), and a
// manual backup inside it is refused until forced.
describe("blackout windows (real control plane, agent and PostgreSQL)", () => {
  let cp: ControlPlane;
  let agent: Agent;
  let client: Api;
  let source: ScratchDatabase;
  let dsId: string;
  let destId: string;

  beforeAll(async () => {
    source = await createScratchDatabase("hf_blackout");
    cp = await startControlPlane({ env: { HOLDFAST_SCHEDULER_TICK_MS: "200" } });
    client = api(cp, await createAdmin(cp));
    agent = await enrollAgent(cp, { env: { HOLDFAST_RECONNECT_BASE_MS: "100", HOLDFAST_RECONNECT_CAP_MS: "500" } });
    await agent.start();
    await waitForAgentStatus(client, agent.agentId, "online");
    const ds = await client.post("/datasources", { agentId: agent.agentId, name: "quiet", engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" } });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    dsId = ds.body.id;
    const dest = await client.post("/destinations", { name: "here", type: "local", config: { path: tempDir("blackout-dest") } });
    destId = dest.body.id;
  });
  afterAll(async () => {
    await agent?.process?.stop();
    await cp?.process.stop();
    await source?.drop();
  });

  const runsOf = async (scheduleId: string) => (await client.get(`/runs?scheduleId=${scheduleId}&limit=100`)).body.items as RunItem[];

  it("inside the agent's window: a manual backup is refused, then forced; a skip schedule records missed firings naming the window, a defer schedule runs once at its end", async () => {
    // From an hour ago to the next minute boundary at least 20 s away (UTC, every day).
    const end = Math.ceil((Date.now() + 20_000) / MIN) * MIN;
    const window = { days: ALL_DAYS, from: hhmm(Date.now() - 60 * MIN), to: hhmm(end) };
    const set = await client.patch(`/agents/${agent.agentId}`, { blackout: [window], timezone: "UTC" });
    expect(set.status, JSON.stringify(set.body)).toBe(200);

    const refused = await client.post(`/datasources/${dsId}/backups`, { destinationIds: [destId] });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "BLACKOUT_WINDOW", details: { endsAt: new Date(end).toISOString(), window: { source: "agent", from: window.from, to: window.to } } });
    const forced = await client.post(`/datasources/${dsId}/backups`, { destinationIds: [destId], force: true });
    expect(forced.status, JSON.stringify(forced.body)).toBe(202);
    const done = await waitForRun(client, forced.body.runId, (r) => r.state === "completed" || r.state === "failed");
    expect(done.state).toBe("completed");

    const base = { datasourceId: dsId, timezone: "UTC", destinationIds: [destId] };
    const skip = (await client.post("/schedules", { ...base, cron: "*/2 * * * * *", name: "skip", blackoutMisfire: "skip" })).body;
    const defer = (await client.post("/schedules", { ...base, cron: "*/5 * * * * *", name: "defer" })).body;
    // Both show their next run after the window: the first firing at or after its end.
    expect(Date.parse(defer.nextFireAt)).toBe(end);
    expect(Date.parse(skip.nextFireAt)).toBe(end);

    const skipped = await waitFor("two skipped firings", async () => {
      const runs = await runsOf(skip.id);
      return runs.filter((r) => r.state === "missed").length >= 2 ? runs : undefined;
    }, 20_000);
    await client.post(`/schedules/${skip.id}/pause`);
    for (const r of skipped) {
      expect(r.state).toBe("missed");
      expect(r.error).toMatchObject({ code: "FIRING_MISSED", details: { reason: "blackout", window: { source: "agent", from: window.from, to: window.to } } });
    }
    if (Date.now() < end - 1_000) expect(await runsOf(defer.id)).toEqual([]);

    // At the window's end the deferred firings run once, at that time; the firings after it as usual.
    const deferred = await waitFor("the deferred run completed", async () => {
      const runs = await runsOf(defer.id);
      return runs.find((r) => Date.parse(r.fireTime!) === end && r.state === "completed");
    }, end - Date.now() + 60_000);
    await client.post(`/schedules/${defer.id}/pause`);
    const deferRuns = await runsOf(defer.id);
    expect(deferRuns.filter((r) => Date.parse(r.fireTime!) === end)).toEqual([deferred]);
    expect(deferRuns.every((r) => Date.parse(r.fireTime!) >= end)).toBe(true);
    expect((await runsOf(skip.id)).every((r) => r.state === "missed")).toBe(true);
  }, 150_000);
});
