import { newId } from "@holdfast/shared";
import { eq, inArray } from "drizzle-orm";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadEnv } from "../env.js";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import { TestClock } from "../testing/test-clock.js";
import { pruneHistory, type PruneOptions } from "./prune-history.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1);

describe.each(DIALECTS)("history housekeeping on %s", (dialect) => {
  let tdb: TestDatabase;
  const clock = new TestClock(NOW);
  const agentId = "agt_1";
  const destinationId = "dst_1";
  let datasourceId: string;
  let nextSequence = 1;

  const ctx = () => ({ database: tdb.database, clock, env: loadEnv({ dataDir: tdb.dir }, {}), log: pino({ level: "silent" }) });
  const prune = (opts: PruneOptions = {}) => pruneHistory(ctx(), opts);

  beforeEach(async () => {
    tdb = await createTestDatabase(dialect);
    const { db, t } = tdb.database;
    await db.insert(t.agents).values({ id: agentId, name: "a", hostname: "h", keyId: "k1", publicKeyJwk: "{}", status: "online", createdAt: 0 });
    await db.insert(t.destinations).values({ id: destinationId, name: "d", type: "local", config: "{}", createdAt: 0 });
    datasourceId = await seedDatasource({ database: tdb.database }, agentId);
    nextSequence = 1;
  });
  afterEach(async () => tdb?.cleanup());

  /** A backup run `daysAgo` old with one delivery in `delivery` state and two agent events (a step and a log line). */
  async function backup(daysAgo: number, opts: { state?: string; delivery?: "completed" | "failed" | "deleted" } = {}): Promise<string> {
    const { db, t } = tdb.database;
    const createdAt = NOW - daysAgo * DAY;
    const runId = await seedBackup({ database: tdb.database, env: ctx().env }, { agentId, datasourceId, destinationIds: [destinationId], bytes: Buffer.from("x"), createdAt, spooled: false, ...(opts.state ? { state: opts.state } : {}) });
    const delivery = opts.delivery ?? "failed";
    await db
      .update(t.deliveries)
      .set({ state: delivery === "deleted" ? "completed" : delivery, deletedAt: delivery === "deleted" ? createdAt + DAY : null })
      .where(eq(t.deliveries.runId, runId));
    for (const type of ["backupStep", "log"]) {
      await db.insert(t.agentEvents).values({ agentId, sequence: nextSequence++, eventId: newId("evt"), runId, type, data: "{}", occurredAt: createdAt, receivedAt: createdAt });
    }
    await db.update(t.agents).set({ lastAckedSequence: nextSequence - 1 }).where(eq(t.agents.id, agentId));
    return runId;
  }

  async function surviving(runIds: string[]) {
    const { db, t } = tdb.database;
    const runs = (await db.select({ id: t.runs.id }).from(t.runs).where(inArray(t.runs.id, runIds))).map((r) => r.id);
    const events = await db.select({ runId: t.agentEvents.runId }).from(t.agentEvents).where(inArray(t.agentEvents.runId, runIds));
    return { runs: runIds.filter((id) => runs.includes(id)), eventsOf: runIds.filter((id) => events.some((e) => e.runId === id)) };
  }

  it("prunes old runs with their deliveries and events, but keeps a live backup, the newest good one, a running run and recent history", async () => {
    const live = await backup(500, { delivery: "completed" });
    const oldFailed = await backup(450, { state: "failed" });
    const oldDeleted = await backup(420, { delivery: "deleted" });
    const running = await backup(410, { state: "running" });
    const newest = await backup(405, { delivery: "deleted" });
    const recentFailed = await backup(100, { state: "failed" });
    const fresh = await backup(10, { state: "failed" });
    const all = [live, oldFailed, oldDeleted, running, newest, recentFailed, fresh];

    const report = await prune();

    expect(report).toMatchObject({ runs: 2 });
    expect(await surviving(all)).toEqual({
      // Older than 400 days and neither live, running nor the datasource's newest completed backup: gone.
      runs: [live, running, newest, recentFailed, fresh],
      // Events older than 90 days go too, except a kept run's.
      eventsOf: [live, running, newest, fresh],
    });
    const { db, t } = tdb.database;
    expect(await db.select().from(t.deliveries).where(inArray(t.deliveries.runId, [oldFailed, oldDeleted]))).toEqual([]);
  });

  it("never removes an event not applied yet (waiting behind a gap in the agent's sequence), nor its run", async () => {
    const waiting = await backup(450, { state: "failed" });
    const { db, t } = tdb.database;
    await db.delete(t.agentEvents).where(eq(t.agentEvents.sequence, 1));
    await db.update(t.agents).set({ lastAckedSequence: 0 }).where(eq(t.agents.id, agentId));
    expect(await prune()).toMatchObject({ runs: 0, events: 0 });
    expect(await surviving([waiting])).toEqual({ runs: [waiting], eventsOf: [waiting] });
  });

  it("keeps a held run's record whatever its age, and prunes it like any other once released", async () => {
    const held = await backup(450, { delivery: "deleted" });
    await backup(440, { delivery: "deleted" }); // the newest completed one, kept for that
    const { db, t } = tdb.database;
    await db.update(t.runs).set({ heldAt: NOW - 449 * DAY, heldBy: "admin@test.local", holdReason: "case 17" }).where(eq(t.runs.id, held));
    expect(await prune()).toMatchObject({ runs: 0 });
    expect(await surviving([held])).toEqual({ runs: [held], eventsOf: [held] });
    await db.update(t.runs).set({ heldAt: null, heldBy: null, holdReason: null }).where(eq(t.runs.id, held));
    expect(await prune()).toMatchObject({ runs: 1 });
    expect(await surviving([held])).toEqual({ runs: [], eventsOf: [] });
  });

  it("prunes finished notification sends, closed alerts and audit records by age, never a pending send or an open alert", async () => {
    const { db, t } = tdb.database;
    const send = (id: string, state: string, daysAgo: number) => ({
      id, channelId: "nch_1", kind: "backup.failed", severity: "critical", conditionKey: "k", message: "{}", state, createdAt: NOW - daysAgo * DAY, updatedAt: NOW,
    });
    await db.insert(t.notificationSends).values([send("ns_old_sent", "sent", 91), send("ns_old_failed", "failed", 200), send("ns_old_pending", "pending", 200), send("ns_new", "sent", 5)]);
    const audit = (id: string, daysAgo: number) => ({ id, at: NOW - daysAgo * DAY, action: "POST /runs", target: "{}", fields: "[]", status: 201, clientAddress: "127.0.0.1" });
    await db.insert(t.auditLog).values([audit("aud_old", 401), audit("aud_new", 399)]);
    const condition = (conditionKey: string, closedDaysAgo: number | null) => ({ conditionKey, kind: "agent.offline", openedAt: NOW - 300 * DAY, lastSeenAt: NOW, closedAt: closedDaysAgo === null ? null : NOW - closedDaysAgo * DAY });
    await db.insert(t.notificationConditions).values([condition("closed-long-ago", 200), condition("closed-lately", 5), condition("open-for-long", null)]);

    expect(await prune()).toMatchObject({ notificationSends: 2, audit: 1 });
    expect((await db.select({ key: t.notificationConditions.conditionKey }).from(t.notificationConditions)).map((r) => r.key).sort()).toEqual(["closed-lately", "open-for-long"]);
    expect((await db.select({ id: t.notificationSends.id }).from(t.notificationSends)).map((r) => r.id).sort()).toEqual(["ns_new", "ns_old_pending"]);
    expect((await db.select({ id: t.auditLog.id }).from(t.auditLog)).map((r) => r.id)).toEqual(["aud_new"]);
  });

  it("prunes health results older than HOLDFAST_HEALTH_KEEP_MS (30 days), keeping the recent ones a status is read from", async () => {
    const { db, t } = tdb.database;
    const check = (id: string, daysAgo: number) => ({ id, subjectId: datasourceId, checkedAt: NOW - daysAgo * DAY, result: "ok" });
    await db.insert(t.healthChecks).values([check("hc_old", 31), check("hc_new", 29)]);
    expect(await prune()).toMatchObject({ healthChecks: 1 });
    expect((await db.select({ id: t.healthChecks.id }).from(t.healthChecks)).map((r) => r.id)).toEqual(["hc_new"]);
  });

  it("works in bounded batches: a pass removes at most batchSize × maxBatches, the next pass the rest", async () => {
    const { db, t } = tdb.database;
    await db.insert(t.auditLog).values(
      Array.from({ length: 7 }, (_, i) => ({ id: `aud_${i}`, at: NOW - 500 * DAY, action: "POST /runs", target: "{}", fields: "[]", status: 201, clientAddress: "127.0.0.1" })),
    );
    expect((await prune({ batchSize: 2, maxBatches: 2 })).audit).toBe(4);
    expect(await db.$count(t.auditLog)).toBe(3);
    expect((await prune({ batchSize: 2, maxBatches: 2 })).audit).toBe(3);
    expect(await db.$count(t.auditLog)).toBe(0);
  });
});
