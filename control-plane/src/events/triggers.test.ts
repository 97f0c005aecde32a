import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { appendLiveEvent, readEventsAfter, toLiveEvent } from "./feed.js";

/*
 * The migrations' triggers write the live events of every change, whoever makes it. A migration that
 * rebuilds runs, deliveries or agents on SQLite drops them; this suite fails until it creates them again.
 */
describe.each(DIALECTS)("live event triggers on %s", (dialect) => {
  let tdb: TestDatabase;
  let after = 0;
  /** The events written since the last call, as a client receives them. */
  const written = async () => {
    const rows = await readEventsAfter(tdb.ctx, after, 1000);
    after = rows.at(-1)?.id ?? after;
    return rows.map((r) => {
      const event = toLiveEvent(r);
      if (!event) throw new Error(`row ${r.id} (${r.type}) does not parse: ${r.data}`);
      const { at: _at, id: _id, ...rest } = event;
      return rest;
    });
  };

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
  });
  afterAll(async () => tdb.cleanup());

  it("records an agent's enrollment and each change of its status, and nothing when the status stays", async () => {
    const { db, t } = tdb.database;
    await db.insert(t.agents).values({ id: "agt_1", name: "db-1", hostname: "h", keyId: "k1", publicKeyJwk: "{}", status: "offline", createdAt: 1 });
    await db.update(t.agents).set({ status: "online" }).where(eq(t.agents.id, "agt_1"));
    await db.update(t.agents).set({ status: "online", lastSeenAt: 5 }).where(eq(t.agents.id, "agt_1"));
    await db.update(t.agents).set({ lastSeenAt: 6 }).where(eq(t.agents.id, "agt_1"));
    await db.update(t.agents).set({ status: "revoked" }).where(eq(t.agents.id, "agt_1"));
    expect(await written()).toEqual([
      { type: "agent.status", agentId: "agt_1", name: "db-1", status: "offline" },
      { type: "agent.status", agentId: "agt_1", name: "db-1", status: "online" },
      { type: "agent.status", agentId: "agt_1", name: "db-1", status: "revoked" },
    ]);
  });

  it("records a run's creation and state changes with its error code, and never fails the change for a bad error column", async () => {
    const { db, t } = tdb.database;
    const run = { kind: "backup", trigger: "schedule", agentId: "agt_1", datasourceId: "ds_1", scheduleId: "sch_1", idempotencyKey: "k", createdAt: 1 };
    await db.insert(t.runs).values({ ...run, id: "run_1", state: "pending" });
    await db.update(t.runs).set({ state: "queued" }).where(eq(t.runs.id, "run_1"));
    await db.update(t.runs).set({ step: "dump", progressBytes: 10 }).where(eq(t.runs.id, "run_1"));
    await db.update(t.runs).set({ state: "failed", error: JSON.stringify({ code: "DUMP_FAILED", message: "x", retryable: true }) }).where(eq(t.runs.id, "run_1"));
    await db.insert(t.runs).values({ ...run, id: "run_2", idempotencyKey: "k2", state: "missed", error: "not json" });
    const common = { type: "run.state", agentId: "agt_1", datasourceId: "ds_1", scheduleId: "sch_1", kind: "backup", trigger: "schedule" };
    expect(await written()).toEqual([
      { ...common, runId: "run_1", state: "pending", errorCode: null },
      { ...common, runId: "run_1", state: "queued", errorCode: null },
      { ...common, runId: "run_1", state: "failed", errorCode: "DUMP_FAILED" },
      { ...common, runId: "run_2", state: "missed", errorCode: null },
    ]);
  });

  it("records a delivery's creation and state changes with attempts and the next try", async () => {
    const { db, t } = tdb.database;
    await db.insert(t.destinations).values({ id: "dst_1", name: "d", type: "local", config: "{}", createdAt: 1 });
    await db.insert(t.deliveries).values({ id: "dlv_1", runId: "run_1", destinationId: "dst_1", state: "pending", attempts: 0, updatedAt: 1 });
    await db.update(t.deliveries).set({ state: "running", attempts: 1 }).where(eq(t.deliveries.id, "dlv_1"));
    const next = Date.parse("2030-01-01T00:01:00.000Z");
    await db
      .update(t.deliveries)
      .set({ state: "pending", nextAttemptAt: next, error: JSON.stringify({ code: "DESTINATION_UNREACHABLE", message: "x", retryable: true }) })
      .where(eq(t.deliveries.id, "dlv_1"));
    const common = { type: "delivery.state", deliveryId: "dlv_1", runId: "run_1", destinationId: "dst_1" };
    expect(await written()).toEqual([
      { ...common, state: "pending", attempts: 0, nextAttemptAt: null, errorCode: null },
      { ...common, state: "running", attempts: 1, nextAttemptAt: null, errorCode: null },
      { ...common, state: "pending", attempts: 1, nextAttemptAt: "2030-01-01T00:01:00.000Z", errorCode: "DESTINATION_UNREACHABLE" },
    ]);
  });

  it("numbers the events the control plane appends after those the triggers wrote", async () => {
    const { db, t } = tdb.database;
    const before = after;
    await db.update(t.agents).set({ status: "offline" }).where(eq(t.agents.id, "agt_1"));
    const id = await appendLiveEvent(tdb.ctx, { type: "run.progress", runId: "run_1", agentId: "agt_1", datasourceId: "ds_1", kind: "backup", step: "dump", bytes: 1, percent: null, bytesPerSecond: null });
    const rows = await readEventsAfter(tdb.ctx, before, 10);
    expect(rows.map((r) => r.type)).toEqual(["agent.status", "run.progress"]);
    expect(rows[1]!.id).toBe(id);
    expect(id).toBeGreaterThan(rows[0]!.id);
  });
});
