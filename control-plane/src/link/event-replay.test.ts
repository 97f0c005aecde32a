import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

const SHA = "b".repeat(64);

/**
 * The link under loss: events out of order, duplicated, with a gap and across a reconnect reach the
 * control plane exactly once each, in sequence order, and the run ends in the right state.
 */
describe.each(DIALECTS)("event replay over the link on %s", (dialect) => {
  let srv: TestServer;
  let admin: string;
  beforeAll(async () => {
    srv = await startTestServer(dialect);
    admin = await srv.token("admin");
  });
  afterAll(async () => srv.stop());

  async function newRun(agentId: string, state = "queued"): Promise<string> {
    const runId = `run_${randomBytes(8).toString("hex")}`;
    const { db, t } = srv.ctx.database;
    await db.insert(t.runs).values({ id: runId, kind: "backup", trigger: "manual", agentId, datasourceId: "ds_1", state, idempotencyKey: runId, createdAt: 1 });
    return runId;
  }

  function script(runId: string) {
    const now = new Date().toISOString();
    const events = [
      ["backupQueued", { datasourceId: "ds_1", trigger: "manual", scheduleId: null, queuedPosition: 0 }],
      ["backupStarted", { datasourceId: "ds_1", startedAt: now }],
      ["backupStep", { step: "dump", message: "pg_dump started" }],
      ["backupProgress", { step: "dump", bytes: 100, percent: null }],
      ["backupProgress", { step: "dump", bytes: 200, percent: null }],
      ["backupCompleted", { finishedAt: now, sizeBytes: 10, rawSizeBytes: 30, sha256: SHA, codec: "gzip", fileName: `${runId}.sql.gz` }],
    ] as const;
    return events.map(([type, data], i) => ({ type, eventId: `evt_${runId}_${i + 1}`, sequence: i + 1, runId, occurredAt: now, data }));
  }

  const acks = (a: FakeAgent) => a.frames.filter((f) => f.type === "ack").map((f) => f.sequence as number);
  const resyncs = (a: FakeAgent) => a.frames.filter((f) => f.type === "resync").map((f) => (f.payload as { afterSequence: number }).afterSequence);

  async function reconnect(a: FakeAgent): Promise<FakeAgent> {
    a.ws.terminate();
    await vi.waitFor(() => expect(srv.ctx.link.isOnline(a.identity.agentId)).toBe(false));
    const again = await FakeAgent.connect(srv.url, a.identity);
    await vi.waitFor(() => expect(srv.ctx.link.isOnline(a.identity.agentId)).toBe(true));
    return again;
  }

  it("stores every event once, in order, asks one resync per gap and settles the run after a reconnect", async () => {
    const agent = await srv.agent();
    agent.handlers.resync = () => ({ status: 200, data: { replayed: 0 } });
    const runId = await newRun(agent.identity.agentId);
    const [e1, e2, e3, e4, e5, e6] = script(runId);
    agent.send(e1);
    agent.send(e1);
    // e2 is lost in flight; e4 and e3 arrive out of order behind the gap.
    agent.send(e4);
    agent.send(e3);
    await vi.waitFor(() => expect(acks(agent)).toEqual([1, 1, 1, 1]));
    await vi.waitFor(() => expect(resyncs(agent)).toEqual([1]));
    const view = async () => (await (await srv.api(`/api/v1/runs/${runId}`, { token: admin })).json()) as Record<string, unknown>;
    expect(await view()).toMatchObject({ state: "queued", step: null });

    // The link is cut before the replay; the new session starts after the acknowledged sequence.
    const again = await reconnect(agent);
    expect(again.frames.find((f) => f.type === "hello")).toMatchObject({ lastAckedSequence: 1 });
    for (const e of [e2, e3, e4, e5, e6, e6]) again.send(e);
    await vi.waitFor(() => expect(acks(again).at(-1)).toBe(6));
    expect(resyncs(again)).toEqual([]);
    expect(await view()).toMatchObject({ state: "completed", step: null, progressBytes: 200, sha256: SHA });

    const res = await srv.api(`/api/v1/runs/${runId}/events`, { token: admin });
    const { items } = (await res.json()) as { items: Array<{ eventId: string; sequence: number; type: string; occurredAt: string; data: unknown }> };
    expect(items.map((i) => i.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(items.map((i) => i.eventId)).toEqual([e1, e2, e3, e4, e5, e6].map((e) => e?.eventId));
    expect(items[3]).toEqual({ eventId: e4?.eventId, sequence: 4, type: "backupProgress", occurredAt: e4?.occurredAt, data: e4?.data });
    const { db, t } = srv.ctx.database;
    expect(await db.select().from(t.agentEvents).where(eq(t.agentEvents.agentId, agent.identity.agentId))).toHaveLength(6);
  });

  it("fills a gap within the session when the agent answers resync with the replay", async () => {
    const agent = await srv.agent();
    const runId = await newRun(agent.identity.agentId);
    const events = script(runId);
    agent.handlers.resync = (f) => {
      const after = (f.payload as { afterSequence: number }).afterSequence;
      const replay = events.filter((e) => e.sequence > after);
      setTimeout(() => replay.forEach((e) => agent.send(e)), 5);
      return { status: 200, data: { replayed: replay.length } };
    };
    agent.send(events[0]);
    agent.send(events[2]);
    agent.send(events[3]);
    await vi.waitFor(() => expect(acks(agent).at(-1)).toBe(6));
    expect(resyncs(agent)).toEqual([1]);
    expect((await (await srv.api(`/api/v1/runs/${runId}`, { token: admin })).json()) as Record<string, unknown>).toMatchObject({ state: "completed" });
  });

  it("keeps the events an agent replays right after helloAck, before the session is marked ready", async () => {
    const agent = await srv.agent();
    const runId = await newRun(agent.identity.agentId, "running");
    agent.ws.terminate();
    await vi.waitFor(() => expect(srv.ctx.link.isOnline(agent.identity.agentId)).toBe(false));
    // What a restarted agent does: helloAck, then its outbox at once, without waiting for anything.
    const again = await FakeAgent.connect(srv.url, agent.identity);
    for (const e of script(runId)) again.send(e);
    await vi.waitFor(() => expect(acks(again).at(-1)).toBe(6));
    expect(acks(again)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await (await srv.api(`/api/v1/runs/${runId}`, { token: admin })).json()) as Record<string, unknown>).toMatchObject({ state: "completed", sha256: SHA });
    again.ws.terminate();
  });

  it("leaves a running run as it is while its agent is away; the agent's replay settles it", async () => {
    const agent = await srv.agent();
    const runId = await newRun(agent.identity.agentId, "running");
    agent.ws.terminate();
    await vi.waitFor(() => expect(srv.ctx.link.isOnline(agent.identity.agentId)).toBe(false));
    const view = async () => (await (await srv.api(`/api/v1/runs/${runId}`, { token: admin })).json()) as Record<string, unknown>;
    expect(await view()).toMatchObject({ state: "running", error: null });
    const again = await FakeAgent.connect(srv.url, agent.identity);
    await vi.waitFor(() => expect(srv.ctx.link.isOnline(agent.identity.agentId)).toBe(true));
    const error = { code: "AGENT_RESTARTED", message: "The agent restarted during the run", retryable: true };
    again.send({ type: "backupFailed", eventId: `evt_${runId}_f`, sequence: 1, runId, occurredAt: new Date().toISOString(), data: { finishedAt: new Date().toISOString(), error } });
    await vi.waitFor(async () => expect(await view()).toMatchObject({ state: "failed", error }));
    again.ws.terminate();
  });
});
