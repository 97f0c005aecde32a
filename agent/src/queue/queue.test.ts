import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseServerFrame, type CommandFrame, type ResponseEnvelope } from "@holdfast/shared";
import { saveDatasource } from "../store/datasources.js";
import { readEventsAfter, type OutboxEvent } from "../store/outbox.js";
import { getRun } from "./run-record.js";
import { listQueuedRuns } from "./queue-queries.js";
import { HeldEngine } from "../testing/engines.js";
import { PG } from "../testing/helpers.js";
import { setupRunEnv, testLink, type RunEnv } from "../testing/run-env.js";
import { getExecutionQueue } from "./execution-queue.js";
import { startBackup } from "./start-backup.js";

let n = 0;
function frame(type: string, payload: unknown, idempotencyKey?: string): CommandFrame {
  const parsed = parseServerFrame(
    JSON.stringify({ type, requestId: `req_${++n}`, timestamp: "2026-01-01T00:00:00Z", ...(idempotencyKey ? { idempotencyKey } : {}), payload }),
  );
  if (!parsed.ok || parsed.value.kind !== "command") throw new Error(`bad test frame: ${JSON.stringify(parsed)}`);
  return parsed.value.frame;
}

const schedule = (runId: string, scheduleId = `sch_${runId}`) => ({ runId, datasourceId: "ds_1", trigger: "schedule" as const, scheduleId, requestedBy: "scheduler" });
const manual = (runId: string) => ({ runId, datasourceId: "ds_1", trigger: "manual" as const, requestedBy: "ops@example.com" });

describe("the queue policy", () => {
  let env: RunEnv;
  let engine: HeldEngine;

  beforeEach(() => {
    engine = new HeldEngine();
    env = setupRunEnv({ engines: { postgres: engine }, limits: { maxQueueSize: 3, queueTtlMs: 60_000 }, prefix: "queue" });
    saveDatasource(env.store, { datasourceId: "ds_1", name: "x", engine: "postgres", connection: { ...PG, database: "x" } });
  });
  afterEach(() => env.cleanup());

  it("never runs two backups at once when 30 starts (manual and scheduled) hit the dispatcher together", async () => {
    env.ctx.limits.maxQueueSize = 50;
    let running = 0;
    let maxRunning = 0;
    const onEvent = (e: OutboxEvent) => {
      if (e.type === "backupStarted") running++;
      if (e.type === "backupCompleted" || e.type === "backupFailed" || e.type === "backupCancelled") running--;
      maxRunning = Math.max(maxRunning, running);
      const inDb = env.store.db.prepare("SELECT count(*) FROM runs WHERE state = 'running'").pluck().get() as number;
      maxRunning = Math.max(maxRunning, inDb);
    };
    env.store.onEvent(onEvent);
    const frames = Array.from({ length: 30 }, (_, i) =>
      frame("startBackup", i % 3 === 0 ? manual(`run_${i}`) : schedule(`run_${i}`), `key_${i}`),
    );
    const responses = (await Promise.all(frames.map((f) => env.dispatcher.dispatch(f, testLink)))).map((d) => d.response);

    const started = responses.filter((r) => r.statusCode === 202 && (r.data as { state: string }).state === "running");
    const queued = responses.filter((r) => r.statusCode === 202 && (r.data as { state: string }).state === "queued");
    const refused = responses.filter((r) => r.statusCode === 409);
    expect(started).toHaveLength(1);
    expect(started.length + queued.length + refused.length).toBe(30);
    expect(refused.every((r) => r.error?.code === "BACKUP_ALREADY_RUNNING")).toBe(true);
    // Every manual start except possibly the winner was refused; every scheduled one was queued or won.
    expect(queued.length).toBe(listQueuedRuns(env.store).length);
    expect(env.store.db.prepare("SELECT count(*) FROM runs WHERE state = 'running'").pluck().get()).toBe(1);

    // Let every run finish one after the other: still never two at once.
    for (let i = 0; i < 1 + queued.length; i++) (await engine.nth(i)).finish();
    await env.ctx.slot.whenIdle();
    expect(maxRunning).toBe(1);
    expect(env.store.db.prepare("SELECT count(*) FROM runs WHERE state = 'completed'").pluck().get()).toBe(1 + queued.length);
  });

  it("connects once for a manual backup: the run reuses its preflight's connection test", async () => {
    await startBackup(env.ctx, manual("run_once"));
    (await engine.nth(0)).finish();
    await env.ctx.slot.whenIdle();
    expect(getRun(env.store, "run_once")).toMatchObject({ state: "completed", artifactMeta: { serverVersion: "PostgreSQL 16.2" } });
    expect(engine.connectionTests).toBe(1);
  });

  it("answers 429 QUEUE_OVERFLOW past maxQueueSize, and queues nothing more", async () => {
    await startBackup(env.ctx, manual("run_0"));
    for (const id of ["run_1", "run_2", "run_3"]) expect((await startBackup(env.ctx, schedule(id))).state).toBe("queued");
    const res = (await env.dispatcher.dispatch(frame("startBackup", schedule("run_4"), "k4"), testLink)).response;
    expect(res).toMatchObject({ statusCode: 429, success: false, error: { code: "QUEUE_OVERFLOW", retryable: true, details: { maxQueueSize: 3, queueLength: 3, runningRunId: "run_0" } } });
    expect(getRun(env.store, "run_4")).toBeNull();
    for (let i = 0; i < 4; i++) (await engine.nth(i)).finish();
    await env.ctx.slot.whenIdle();
  });

  it("coalesces a firing whose scheduleId is already queued: 202 with the queued run, nothing new queued", async () => {
    await startBackup(env.ctx, manual("run_0"));
    expect(await startBackup(env.ctx, schedule("run_a", "sch_nightly"))).toEqual({ runId: "run_a", state: "queued", queuedPosition: 1 });
    const res = (await env.dispatcher.dispatch(frame("startBackup", schedule("run_b", "sch_nightly"), "kb"), testLink)).response;
    expect(res).toMatchObject({ statusCode: 202, success: true, data: { runId: "run_a", state: "queued", queuedPosition: 1 } });
    expect(getRun(env.store, "run_b")).toBeNull();
    expect(readEventsAfter(env.store, 0).filter((e) => e.type === "backupQueued")).toHaveLength(1);
    // Once run_a left the queue, the schedule may queue again.
    (await engine.nth(0)).finish();
    await engine.nth(1);
    expect((await startBackup(env.ctx, schedule("run_c", "sch_nightly"))).state).toBe("queued");
    (await engine.nth(1)).finish();
    (await engine.nth(2)).finish();
    await env.ctx.slot.whenIdle();
  });

  it("expires a queued run past its TTL on the clock's timer, with a backupExpired event", async () => {
    env.ctx.sweeper.start();
    await startBackup(env.ctx, manual("run_0"));
    await startBackup(env.ctx, schedule("run_q"));
    const queue = getExecutionQueue(env.ctx);
    expect(queue.queued).toEqual([
      expect.objectContaining({ runId: "run_q", scheduleId: "sch_run_q", requestedBy: "scheduler", position: 1, queuedAt: "2026-01-01T00:00:00.000Z", expiresAt: "2026-01-01T00:01:00.000Z" }),
    ]);
    env.clock.advance(59_999);
    expect(getRun(env.store, "run_q")?.state).toBe("queued");
    env.clock.advance(1);
    expect(getRun(env.store, "run_q")?.state).toBe("expired");
    const expired = readEventsAfter(env.store, 0).filter((e) => e.type === "backupExpired");
    expect(expired).toEqual([expect.objectContaining({ runId: "run_q", data: { finishedAt: "2026-01-01T00:01:00.000Z", queuedAt: "2026-01-01T00:00:00.000Z" } })]);
    // The running run is not affected, and the expired one never starts.
    (await engine.nth(0)).finish();
    await env.ctx.slot.whenIdle();
    expect(engine.dumps).toHaveLength(1);
  });

  it("checks the TTL again when dequeuing (no sweeper running): an expired run is skipped for the next one", async () => {
    await startBackup(env.ctx, manual("run_0"));
    await startBackup(env.ctx, schedule("run_old"));
    env.clock.advance(30_000);
    await startBackup(env.ctx, schedule("run_new"));
    env.clock.advance(30_000); // run_old is now past its TTL, run_new is not
    (await engine.nth(0)).finish();
    await engine.nth(1);
    expect(getRun(env.store, "run_old")?.state).toBe("expired");
    expect(getRun(env.store, "run_new")?.state).toBe("running");
    (await engine.nth(1)).finish();
    await env.ctx.slot.whenIdle();
  });

  it("after a restart (kill -9 during a run): the run fails AGENT_RESTARTED, staging is gone, the queue keeps its order and the next run starts", async () => {
    await startBackup(env.ctx, manual("run_0"));
    await engine.nth(0);
    for (const id of ["run_1", "run_2", "run_3"]) await startBackup(env.ctx, schedule(id));
    expect(fs.existsSync(path.join(env.stagingRoot, "run_0"))).toBe(true);

    env.reopen(); // what start-up sees after kill -9: the row still says running
    expect(getRun(env.store, "run_0")).toMatchObject({ state: "failed", error: { code: "AGENT_RESTARTED", retryable: true } });
    expect(fs.existsSync(path.join(env.stagingRoot, "run_0"))).toBe(false);
    expect(listQueuedRuns(env.store).map((r) => r.runId)).toEqual(["run_1", "run_2", "run_3"]);

    env.ctx.slot.startNext();
    for (let i = 1; i <= 3; i++) (await engine.nth(i)).finish();
    await env.ctx.slot.whenIdle();
    const starts = readEventsAfter(env.store, 0).filter((e) => e.type === "backupStarted").map((e) => e.runId);
    expect(starts).toEqual(["run_0", "run_1", "run_2", "run_3"]);
    expect(["run_1", "run_2", "run_3"].map((id) => getRun(env.store, id)?.state)).toEqual(["completed", "completed", "completed"]);
    expect(env.store.db.prepare("SELECT count(*) FROM runs").pluck().get()).toBe(4);
  });

  it("refuses new starts with 503 AGENT_STOPPING once the slot is stopping", async () => {
    await env.ctx.slot.stop({ code: "AGENT_STOPPING", message: "stopping", retryable: true });
    const res: ResponseEnvelope = (await env.dispatcher.dispatch(frame("startBackup", manual("run_s"), "ks"), testLink)).response;
    expect(res).toMatchObject({ statusCode: 503, error: { code: "AGENT_STOPPING", retryable: true } });
  });
});
