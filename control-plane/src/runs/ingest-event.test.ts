import { type AgentEventFrame, ERROR_CATALOG } from "@holdfast/shared";
import { and, asc, eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArtifactPuller } from "../context.js";
import type { Env } from "../env.js";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { getRun } from "./get-run.js";
import { ingestEvent } from "./ingest-event.js";

const at = "2030-01-01T00:00:00.000Z";
const SHA = "a".repeat(64);
const completed = (runId: string) => ({ finishedAt: at, sizeBytes: 6_000_000_000, rawSizeBytes: 9_000_000_000, sha256: SHA, codec: "gzip", fileName: `${runId}.sql.gz` });

describe.each(DIALECTS)("ingestEvent on %s", (dialect) => {
  let tdb: TestDatabase;
  const kicked: string[] = [];
  const puller: ArtifactPuller = { kick: (id) => kicked.push(id), onAgentOnline: () => {} };
  const ctx = () => ({ ...tdb.ctx, puller, log: pino({ level: "silent" }), env: { spoolDir: tdb.dir } as Env });
  const seqs = new Map<string, number>();
  /** The next event of an agent; `sequence` may be forced to build gaps and replays. */
  const event = (agentId: string, type: string, data: unknown, runId: string, o: { sequence?: number; eventId?: string } = {}) => {
    const sequence = o.sequence ?? (seqs.get(agentId) ?? 0) + 1;
    seqs.set(agentId, Math.max(sequence, seqs.get(agentId) ?? 0));
    return { type, eventId: o.eventId ?? `evt_${agentId}_${sequence}`, sequence, runId, occurredAt: at, data } as AgentEventFrame;
  };
  const ingest = (agentId: string, e: AgentEventFrame) => ingestEvent(ctx(), agentId, e);
  async function addRun(id: string, agentId = "agt_1", state = "queued") {
    const { db, t } = tdb.database;
    await db.insert(t.runs).values({ id, kind: "backup", trigger: "manual", agentId, datasourceId: "ds_1", state, idempotencyKey: id, createdAt: 1 });
  }
  async function addDelivery(runId: string) {
    const { db, t } = tdb.database;
    await db.insert(t.destinations).values({ id: `dst_${runId}`, name: runId, type: "local", config: "{}", createdAt: 1 });
    // A delivery waiting for its next try.
    await db.insert(t.deliveries).values({ id: `dlv_${runId}`, runId, destinationId: `dst_${runId}`, state: "pending", attempts: 1, nextAttemptAt: 2, updatedAt: 1 });
  }
  async function deliveryError(runId: string) {
    const { db, t } = tdb.database;
    const d = (await db.select().from(t.deliveries).where(eq(t.deliveries.runId, runId)))[0];
    return { state: d?.state, nextAttemptAt: d?.nextAttemptAt, error: d?.error ? (JSON.parse(d.error) as { code: string; retryable: boolean }) : null };
  }

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    const { db, t } = tdb.database;
    for (const id of ["agt_1", "agt_2", "agt_3", "agt_4"]) {
      await db.insert(t.agents).values({ id, name: id, hostname: "h", keyId: `k_${id}`, publicKeyJwk: "{}", status: "online", createdAt: 1 });
    }
  });
  afterAll(async () => tdb.cleanup());

  it("moves a run through queued, started, its steps and completed, and kicks the pull", async () => {
    await addRun("run_1");
    expect(await ingest("agt_1", event("agt_1", "backupQueued", { datasourceId: "ds_1", trigger: "schedule", scheduleId: "sch_1", queuedPosition: 1 }, "run_1"))).toEqual({ ackSequence: 1, gap: false });
    expect(await getRun(tdb.ctx, "run_1")).toMatchObject({ state: "queued", queuedAt: at, scheduleId: "sch_1" });
    await ingest("agt_1", event("agt_1", "backupDequeued", { datasourceId: "ds_1", waitedMs: 5 }, "run_1"));
    await ingest("agt_1", event("agt_1", "backupStarted", { datasourceId: "ds_1", startedAt: at }, "run_1"));
    await ingest("agt_1", event("agt_1", "backupStep", { step: "dump", message: "pg_dump started" }, "run_1"));
    await ingest("agt_1", event("agt_1", "backupProgress", { step: "dump", bytes: 4096, percent: null }, "run_1"));
    expect(await getRun(tdb.ctx, "run_1")).toMatchObject({ state: "running", startedAt: at, step: "dump", progressBytes: 4096 });
    expect(await ingest("agt_1", event("agt_1", "backupCompleted", completed("run_1"), "run_1"))).toEqual({ ackSequence: 6, gap: false });
    expect(await getRun(tdb.ctx, "run_1")).toMatchObject({ state: "completed", finishedAt: at, sizeBytes: 6_000_000_000, sha256: SHA, step: null });
    expect(kicked).toContain("run_1");
  });

  it("ignores a replayed event and never moves a finished run back", async () => {
    const replay = event("agt_1", "backupStarted", { datasourceId: "ds_1", startedAt: at }, "run_1", { sequence: 3 });
    expect(await ingest("agt_1", replay)).toEqual({ ackSequence: 6, gap: false });
    expect((await getRun(tdb.ctx, "run_1")).state).toBe("completed");
    const { db, t } = tdb.database;
    expect(await db.select().from(t.agentEvents).where(eq(t.agentEvents.eventId, "evt_agt_1_3"))).toHaveLength(1);
  });

  it("stores an event that would be an invalid transition without applying it", async () => {
    // A new event (new eventId) claiming a completed run started again.
    await ingest("agt_1", event("agt_1", "backupStarted", { datasourceId: "ds_1", startedAt: at }, "run_1"));
    await ingest("agt_1", event("agt_1", "backupFailed", { finishedAt: at, error: { code: "DUMP_FAILED", message: "x", retryable: true } }, "run_1"));
    expect(await getRun(tdb.ctx, "run_1")).toMatchObject({ state: "completed", error: null });
    const { db, t } = tdb.database;
    expect(await db.select().from(t.agentEvents).where(eq(t.agentEvents.runId, "run_1"))).toHaveLength(8);
  });

  it("records a failure with its error and fails the waiting deliveries", async () => {
    await addRun("run_2");
    await addDelivery("run_2");
    await ingest("agt_1", event("agt_1", "backupStarted", { datasourceId: "ds_1", startedAt: at }, "run_2"));
    await ingest("agt_1", event("agt_1", "backupFailed", { finishedAt: at, error: { code: "AGENT_RESTARTED", message: "restarted", retryable: true } }, "run_2"));
    expect(await getRun(tdb.ctx, "run_2")).toMatchObject({ state: "failed", error: { code: "AGENT_RESTARTED", retryable: true } });
    // The catalog's retryable, and no next try left scheduled on a failed row.
    expect(await deliveryError("run_2")).toMatchObject({ state: "failed", nextAttemptAt: null, error: { code: "DELIVERY_FAILED", retryable: ERROR_CATALOG.DELIVERY_FAILED.retryable } });
  });

  it("cancels a queued run with its reason and expires another", async () => {
    await addRun("run_c", "agt_3");
    await addRun("run_e", "agt_3");
    await addDelivery("run_e");
    await ingest("agt_3", event("agt_3", "backupCancelled", { finishedAt: at, reason: "cancelled by admin@localhost" }, "run_c"));
    await ingest("agt_3", event("agt_3", "backupExpired", { finishedAt: at, queuedAt: at }, "run_e"));
    expect(await getRun(tdb.ctx, "run_c")).toMatchObject({ state: "cancelled", cancelReason: "cancelled by admin@localhost", finishedAt: at });
    expect(await getRun(tdb.ctx, "run_e")).toMatchObject({ state: "expired", finishedAt: at });
    expect((await deliveryError("run_e")).state).toBe("failed");
    // Expired is final: a late start does not revive it.
    await ingest("agt_3", event("agt_3", "backupStarted", { datasourceId: "ds_1", startedAt: at }, "run_e"));
    expect((await getRun(tdb.ctx, "run_e")).state).toBe("expired");
  });

  it("marks an expired artifact and fails deliveries whose bytes never reached the spool", async () => {
    await addRun("run_x", "agt_3");
    await addDelivery("run_x");
    await ingest("agt_3", event("agt_3", "backupStarted", { datasourceId: "ds_1", startedAt: at }, "run_x"));
    await ingest("agt_3", event("agt_3", "backupCompleted", completed("run_x"), "run_x"));
    await ingest("agt_3", event("agt_3", "artifactExpired", { expiredAt: at }, "run_x"));
    expect(await getRun(tdb.ctx, "run_x")).toMatchObject({ state: "completed", artifactExpiredAt: at });
    expect(await deliveryError("run_x")).toMatchObject({ state: "failed", nextAttemptAt: null, error: { code: "ARTIFACT_EXPIRED", retryable: ERROR_CATALOG.ARTIFACT_EXPIRED.retryable } });
  });

  it("applies events in sequence order whatever the arrival order, and reports the gap", async () => {
    await addRun("run_o", "agt_4");
    const started = event("agt_4", "backupStarted", { datasourceId: "ds_1", startedAt: at }, "run_o");
    const step = event("agt_4", "backupStep", { step: "dump", message: "dumping" }, "run_o");
    const done = event("agt_4", "backupCompleted", completed("run_o"), "run_o");
    expect(await ingest("agt_4", done)).toEqual({ ackSequence: 0, gap: true });
    expect(await ingest("agt_4", step)).toEqual({ ackSequence: 0, gap: true });
    expect(await ingest("agt_4", done)).toEqual({ ackSequence: 0, gap: true });
    expect((await getRun(tdb.ctx, "run_o")).state).toBe("queued");
    expect(await ingest("agt_4", started)).toEqual({ ackSequence: 3, gap: false });
    expect(await getRun(tdb.ctx, "run_o")).toMatchObject({ state: "completed", step: null, startedAt: at });
    const { db, t } = tdb.database;
    const rows = await db.select({ sequence: t.agentEvents.sequence }).from(t.agentEvents).where(eq(t.agentEvents.agentId, "agt_4")).orderBy(asc(t.agentEvents.sequence));
    expect(rows.map((r) => r.sequence)).toEqual([1, 2, 3]);
    expect((await db.select().from(t.agents).where(eq(t.agents.id, "agt_4")))[0]?.lastAckedSequence).toBe(3);
  });

  it("does not let one agent change another agent's run", async () => {
    await addRun("run_3", "agt_1", "running");
    await ingest("agt_2", event("agt_2", "backupCancelled", { finishedAt: at, reason: null }, "run_3"));
    expect((await getRun(tdb.ctx, "run_3")).state).toBe("running");
    const { db, t } = tdb.database;
    expect(await db.select().from(t.agentEvents).where(and(eq(t.agentEvents.agentId, "agt_2"), eq(t.agentEvents.runId, "run_3")))).toHaveLength(1);
  });
});
