import type { AgentEventFrame } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArtifactPuller } from "../context.js";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { getRun } from "./get-run.js";
import { ingestEvent } from "./ingest-event.js";

const at = "2030-01-01T00:00:00.000Z";
const SHA = "a".repeat(64);

describe.each(DIALECTS)("ingestEvent on %s", (dialect) => {
  let tdb: TestDatabase;
  const kicked: string[] = [];
  const puller: ArtifactPuller = { kick: (id) => kicked.push(id), onAgentOnline: () => {} };
  const ctx = () => ({ ...tdb.ctx, puller, log: pino({ level: "silent" }) });
  let seq = 0;
  const event = (type: string, data: unknown, runId = "run_1", eventId = `evt_${type}_${runId}`) =>
    ({ type, eventId, sequence: ++seq, runId, occurredAt: at, data }) as AgentEventFrame;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    const { db, t } = tdb.database;
    await db.insert(t.agents).values({ id: "agt_1", name: "a", hostname: "h", keyId: "k1", publicKeyJwk: "{}", status: "online", createdAt: 1 });
    await db.insert(t.agents).values({ id: "agt_2", name: "b", hostname: "h", keyId: "k2", publicKeyJwk: "{}", status: "online", createdAt: 1 });
    for (const id of ["run_1", "run_2"]) {
      await db.insert(t.runs).values({ id, kind: "backup", trigger: "manual", agentId: "agt_1", datasourceId: "ds_1", state: "queued", idempotencyKey: id, createdAt: 1 });
    }
  });
  afterAll(async () => tdb.cleanup());

  it("moves a run through started and completed, recording sizes and hash, and kicks the pull", async () => {
    expect(await ingestEvent(ctx(), "agt_1", event("backupStarted", { datasourceId: "ds_1", startedAt: at }))).toEqual({ ackSequence: 1 });
    const done = event("backupCompleted", { finishedAt: at, sizeBytes: 6_000_000_000, rawSizeBytes: 9_000_000_000, sha256: SHA, codec: "gzip", fileName: "run_1.sql.gz" });
    expect(await ingestEvent(ctx(), "agt_1", done)).toEqual({ ackSequence: 2 });
    expect(await getRun(tdb.ctx, "run_1")).toMatchObject({ state: "completed", startedAt: at, finishedAt: at, sizeBytes: 6_000_000_000, sha256: SHA });
    expect(kicked).toContain("run_1");
  });

  it("ignores a replayed event and never moves a finished run back", async () => {
    const replay = { ...event("backupStarted", { datasourceId: "ds_1", startedAt: at }), sequence: 1 } as AgentEventFrame;
    expect(await ingestEvent(ctx(), "agt_1", replay)).toEqual({ ackSequence: 2 });
    expect((await getRun(tdb.ctx, "run_1")).state).toBe("completed");
    const { db, t } = tdb.database;
    expect(await db.select().from(t.agentEvents).where(eq(t.agentEvents.eventId, "evt_backupStarted_run_1"))).toHaveLength(1);
  });

  it("records a failure with its error", async () => {
    const failed = event("backupFailed", { finishedAt: at, error: { code: "DUMP_FAILED", message: "pg_dump exited 1", retryable: true } }, "run_2");
    await ingestEvent(ctx(), "agt_1", failed);
    expect(await getRun(tdb.ctx, "run_2")).toMatchObject({ state: "failed", error: { code: "DUMP_FAILED", message: "pg_dump exited 1" } });
  });

  it("does not let one agent change another agent's run", async () => {
    const { db, t } = tdb.database;
    await db.insert(t.runs).values({ id: "run_3", kind: "backup", trigger: "manual", agentId: "agt_1", datasourceId: "ds_1", state: "running", idempotencyKey: "run_3", createdAt: 1 });
    await ingestEvent(ctx(), "agt_2", { type: "backupCancelled", eventId: "evt_x", sequence: 1, runId: "run_3", occurredAt: at, data: { finishedAt: at, reason: null } } as AgentEventFrame);
    expect((await getRun(tdb.ctx, "run_3")).state).toBe("running");
  });
});
