import { LIVE_EVENT_ROLES, type LiveEvent, type RunProgressEvent } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { LiveEventClient } from "../testing/live-event-client.js";
import { feedBounds, pruneFeed } from "./feed.js";

const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };
const now = () => new Date().toISOString();
/** Fast polls and keep-alives, so the tests wait for events, not for timers of production size. */
const FAST = { HOLDFAST_EVENTS_POLL_MS: "20", HOLDFAST_EVENTS_KEEPALIVE_MS: "150" };

/** What a test compares: an event without its time. */
const shape = (e: LiveEvent) => {
  const { at: _at, ...rest } = e as LiveEvent & { at?: string };
  return rest;
};

describe.each(DIALECTS)("GET /api/v1/events on %s", (dialect) => {
  let srv: TestServer;
  let admin: string;
  let operator: string;
  let viewer: string;
  let agent: FakeAgent;
  let dsId: string;
  let destId: string;
  const clients: LiveEventClient[] = [];
  const open = async (opts: { lastEventId?: string; token?: string } = {}) => {
    const client = await LiveEventClient.open(srv.url, opts.token ?? viewer, opts);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    srv = await startTestServer(dialect, { scheduler: false, vars: FAST });
    [admin, operator, viewer] = [await srv.token("admin"), await srv.token("operator"), await srv.token("viewer")];
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await srv?.stop();
  });

  async function startRun(): Promise<string> {
    const res = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: operator, json: { destinationIds: [destId] } });
    expect(res.status).toBe(202);
    return ((await res.json()) as { runId: string }).runId;
  }

  it("starts with `ready`, then sees an agent enroll and come online", async () => {
    const client = await open();
    const ready = await client.waitFor("ready", (e) => e.type === "ready");
    expect(String(ready.id)).toBe(client.lastEventId);
    agent = await srv.agent();
    const agentId = agent.identity.agentId;
    await client.waitFor("agent online", (e) => e.type === "agent.status" && e.status === "online");
    expect(client.recorded.map(shape)).toEqual([
      expect.objectContaining({ type: "agent.status", agentId, status: "offline" }),
      expect.objectContaining({ type: "agent.status", agentId, status: "online" }),
    ]);

    agent.acceptDatasources(PG);
    agent.handlers.startBackup = (f) => ({ status: 202, data: { runId: (f.payload as { runId: string }).runId, state: "queued", queuedPosition: 0 } });
    const ds = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId, name: "shop", engine: "postgres", connection: PG } });
    dsId = ((await ds.json()) as { id: string }).id;
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: `${srv.dir}/backups` } } });
    destId = ((await dst.json()) as { id: string }).id;
  });

  it("sends a run's state changes, its progress (about one a second) and its deliveries, in order", async () => {
    const client = await open();
    await client.waitFor("ready", (e) => e.type === "ready");
    const runId = await startRun();
    const startedAt = now();
    await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt }, runId);
    for (const bytes of [1000, 2000, 3000, 4000, 5000]) await agent.sendEvent("backupProgress", { step: "dump", bytes, percent: null }, runId);
    // The newest of the samples that came within the second is recorded when it is over.
    await client.waitFor("the last progress", (e) => e.type === "run.progress" && e.bytes === 5000);
    await agent.sendEvent("backupFailed", { finishedAt: now(), error: { code: "DUMP_FAILED", message: "pg_dump exited 1", retryable: true } }, runId);
    await client.waitFor("the delivery failed", (e) => e.type === "delivery.state" && e.state === "failed");

    const agentId = agent.identity.agentId;
    const run = { runId, agentId, datasourceId: dsId, scheduleId: null, kind: "backup", trigger: "manual" };
    const progress = client.recorded.filter((e): e is RunProgressEvent => e.type === "run.progress");
    expect(client.recorded.filter((e) => e.type !== "run.progress").map(shape)).toEqual([
      { ...run, id: expect.any(Number), type: "run.state", state: "queued", errorCode: null },
      { id: expect.any(Number), type: "delivery.state", deliveryId: expect.any(String), runId, destinationId: destId, state: "pending", attempts: 0, nextAttemptAt: null, errorCode: null },
      { ...run, id: expect.any(Number), type: "run.state", state: "running", errorCode: null },
      { ...run, id: expect.any(Number), type: "run.state", state: "failed", errorCode: "DUMP_FAILED" },
      { id: expect.any(Number), type: "delivery.state", deliveryId: expect.any(String), runId, destinationId: destId, state: "failed", attempts: 0, nextAttemptAt: null, errorCode: "DELIVERY_FAILED" },
    ]);
    // Ids grow with every event, progress included, and progress sits between running and failed.
    const ids = client.recorded.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const running = client.recorded.findIndex((e) => e.type === "run.state" && e.state === "running");
    const failed = client.recorded.findIndex((e) => e.type === "run.state" && e.state === "failed");
    expect(client.recorded.slice(running + 1, failed).every((e) => e.type === "run.progress")).toBe(true);
    // Five samples within a second: the first at once, then one more at most a second later.
    expect(progress.length).toBeLessThan(5);
    expect(progress[0]).toMatchObject({ runId, agentId, datasourceId: dsId, kind: "backup", step: "dump", bytes: 1000, percent: null });
    expect(progress.at(-1)!.bytes).toBe(5000);
    for (let i = 1; i < progress.length; i++) expect(Date.parse(progress[i]!.at) - Date.parse(progress[i - 1]!.at)).toBeGreaterThanOrEqual(900);
    expect(progress.every((p) => p.bytesPerSecond === null || p.bytesPerSecond >= 0)).toBe(true);
  });

  it("gives a client that reconnects with Last-Event-ID exactly what it missed, in order", async () => {
    const steady = await open();
    await steady.waitFor("ready", (e) => e.type === "ready");
    const leaving = await open();
    await leaving.waitFor("ready", (e) => e.type === "ready");
    const first = await startRun();
    await leaving.waitFor("the first run", (e) => e.type === "run.state" && e.runId === first);
    await steady.waitFor("the first run", (e) => e.type === "run.state" && e.runId === first);
    leaving.close();
    await leaving.ended;
    const lastSeen = leaving.lastEventId!;

    await agent.sendEvent("backupCancelled", { finishedAt: now(), reason: "test" }, first);
    const second = await startRun();
    await steady.waitFor("the second run", (e) => e.type === "run.state" && e.runId === second);

    const back = await open({ lastEventId: lastSeen });
    const expected = steady.events.filter((e) => e.id > Number(lastSeen));
    await back.until("the missed events", () => back.events.length >= expected.length);
    expect(back.events.slice(0, expected.length)).toEqual(expected);
    expect(back.events.some((e) => e.type === "ready" || e.type === "resync")).toBe(false);
    // And it goes on live from there.
    await agent.sendEvent("backupCancelled", { finishedAt: now(), reason: "test" }, second);
    await back.waitFor("the live cancel", (e) => e.type === "run.state" && e.runId === second && e.state === "cancelled");
  });

  it("catches a client up over many pages, in order, before the live events", async () => {
    const steady = await open();
    const ready = await steady.waitFor("ready", (e) => e.type === "ready");
    const { db, t } = srv.ctx.database;
    const data = (i: number) => JSON.stringify({ runId: `run_many_${i}`, agentId: "agt_x", datasourceId: "ds_x", scheduleId: null, kind: "backup", trigger: "manual", state: "queued", errorCode: null });
    await db.insert(t.liveEvents).values(Array.from({ length: 1234 }, (_, i) => ({ type: "run.state", occurredAt: Date.now(), data: data(i) })));
    await steady.until("1234 events", () => steady.recorded.length >= 1234);
    const back = await open({ lastEventId: String(ready.id) });
    const live = await startRun();
    await back.waitFor("the live run", (e) => e.type === "run.state" && e.runId === live);
    // The live run's delivery may follow its run.state already; nothing else comes first.
    expect(back.events.flatMap((e) => (e.type === "delivery.state" ? [] : [e.type === "run.state" ? e.runId : e.type]))).toEqual([...Array.from({ length: 1234 }, (_, i) => `run_many_${i}`), live]);
    await agent.sendEvent("backupCancelled", { finishedAt: now(), reason: "test" }, live);
  });

  it("answers `resync` to an id older than the window or not ours, then goes on live", async () => {
    const { newest } = await feedBounds(srv.ctx);
    const tooOld = await startRun();
    await agent.sendEvent("backupCancelled", { finishedAt: now(), reason: "test" }, tooOld);
    await pruneFeed(srv.ctx, { count: 2, maxAgeMs: 86_400_000 });
    const { oldest } = await feedBounds(srv.ctx);
    expect(oldest).toBeGreaterThan(newest + 1);

    const old = await open({ lastEventId: String(newest) });
    const resync = await old.waitFor("resync", (e) => e.type === "resync");
    expect(resync).toMatchObject({ type: "resync", reason: "too-old" });
    expect(old.lastEventId).toBe(String(resync.id));
    const future = await open({ lastEventId: String(resync.id + 1000) });
    expect(await future.waitFor("resync", (e) => e.type === "resync")).toMatchObject({ reason: "unknown", id: resync.id });

    const next = await startRun();
    for (const c of [old, future]) await c.waitFor("the next run", (e) => e.type === "run.state" && e.runId === next);
    await agent.sendEvent("backupCancelled", { finishedAt: now(), reason: "test" }, next);
  });

  it("refuses a Last-Event-ID that is not an id, and a caller without a token", async () => {
    const bad = await srv.api("/api/v1/events", { token: viewer, headers: { "last-event-id": "yesterday" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("VALIDATION_FAILED");
    expect((await srv.api("/api/v1/events")).status).toBe(401);
  });

  it("sends a keep-alive comment on a quiet stream", async () => {
    const client = await open();
    await client.until("two keep-alives", () => client.keepAlives >= 2);
  });

  it("forgets every client that went away", async () => {
    expect(srv.liveEvents.stats().subscribers).toBeGreaterThan(0);
    for (const c of clients) c.close();
    await vi.waitFor(() => expect(srv.liveEvents.stats()).toMatchObject({ subscribers: 0, live: 0, cut: 0 }));
  });
});

describe("GET /api/v1/events: what a role may not see is not sent", () => {
  let srv: TestServer;
  beforeAll(async () => {
    // A kind only admins may see, as a later version may have.
    srv = await startTestServer("sqlite", { scheduler: false, vars: FAST, liveEventRoles: { ...LIVE_EVENT_ROLES, "agent.status": "admin" } });
  });
  afterAll(async () => srv?.stop());

  it("leaves admin-only events out of a viewer's stream, not an admin's", async () => {
    const viewer = await LiveEventClient.open(srv.url, await srv.token("viewer"));
    const admin = await LiveEventClient.open(srv.url, await srv.token("admin"));
    for (const c of [viewer, admin]) await c.waitFor("ready", (e) => e.type === "ready");
    const agent = await srv.agent();
    await admin.waitFor("agent online", (e) => e.type === "agent.status" && e.status === "online");
    // A later event the viewer may see: once it arrived, everything before it was sent or left out.
    const { db, t } = srv.ctx.database;
    await db.insert(t.runs).values({ id: "run_after", kind: "backup", trigger: "manual", agentId: agent.identity.agentId, datasourceId: "ds_x", state: "pending", idempotencyKey: "k", createdAt: 1 });
    await viewer.waitFor("the later run", (e) => e.type === "run.state" && e.runId === "run_after");
    expect(viewer.recorded.map((e) => e.type)).toEqual(["run.state"]);
    await admin.waitFor("the later run", (e) => e.type === "run.state" && e.runId === "run_after");
    expect(admin.recorded.map((e) => e.type)).toEqual(["agent.status", "agent.status", "run.state"]);
    viewer.close();
    admin.close();
  });
});
