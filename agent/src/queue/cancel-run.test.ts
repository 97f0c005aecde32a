import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { PostgresEngine } from "../engines/postgres/engine.js";
import { saveDatasource } from "../store/datasources.js";
import { readEventsAfter } from "../store/outbox.js";
import { getRun } from "./run-record.js";
import { HeldEngine, processAlive, writeStandInPgDump } from "../testing/engines.js";
import { PG, pidFrom } from "../testing/helpers.js";
import { setupRunEnv, testLink, type RunEnv } from "../testing/run-env.js";
import { cancelBackup, cancelQueuedBackup } from "./cancel-run.js";
import { startBackup } from "./start-backup.js";

const manual = (runId: string) => ({ runId, datasourceId: "ds_1", trigger: "manual" as const, requestedBy: "ops@example.com" });
const schedule = (runId: string) => ({ runId, datasourceId: "ds_1", trigger: "schedule" as const, scheduleId: `sch_${runId}`, requestedBy: "scheduler" });

describe("cancelling a running dump (a real process: a stand-in pg_dump that hangs)", () => {
  let env: RunEnv;
  let pidFile: string;

  beforeEach(() => {
    env = setupRunEnv({ prefix: "cancel" });
    const standIn = writeStandInPgDump(env.dir, { version: "99.0", mode: "hang" });
    pidFile = standIn.pidFile;
    env.ctx.engines.postgres = new PostgresEngine({ pgDumpPath: standIn.bin, tmpDir: env.dir });
    // A password, so a passfile exists during the dump: it must be gone after the cancel too.
    saveDatasource(env.store, { datasourceId: "ds_1", name: "x", engine: "postgres", connection: { ...PG, database: "postgres", password: "pw-cancel" } });
  });
  afterEach(() => env.cleanup());

  it("kills the dump, removes staging and ends the run cancelled with its reason", async () => {
    await startBackup(env.ctx, manual("run_c"));
    const pid = await pidFrom(pidFile);
    expect(processAlive(pid)).toBe(true);
    expect(fs.existsSync(path.join(env.stagingRoot, "run_c"))).toBe(true);

    const res = (
      await env.dispatcher.dispatch(
        { type: "cancelBackup", requestId: "req_c", timestamp: "2026-01-01T00:00:00Z", idempotencyKey: "kc", payload: { runId: "run_c" } },
        testLink,
      )
    ).response;
    expect(res).toMatchObject({ statusCode: 200, success: true, data: { runId: "run_c", state: "cancelled", queuedPosition: null } });
    expect(processAlive(pid)).toBe(false);
    expect(fs.existsSync(path.join(env.stagingRoot, "run_c"))).toBe(false);
    expect(fs.readdirSync(env.dir).filter((f) => f.startsWith("holdfast-pg-"))).toEqual([]);
    expect(readEventsAfter(env.store, 0).at(-1)).toMatchObject({ type: "backupCancelled", runId: "run_c", data: { reason: "cancelled by the control plane" } });
    expect(env.ctx.slot.busy).toBe(false);
  });
});

describe("cancel rules", () => {
  let env: RunEnv;
  let engine: HeldEngine;

  beforeEach(() => {
    engine = new HeldEngine();
    env = setupRunEnv({ engines: { postgres: engine }, prefix: "cancel-rules" });
    saveDatasource(env.store, { datasourceId: "ds_1", name: "x", engine: "postgres", connection: { ...PG, database: "x" } });
  });
  afterEach(() => env.cleanup());

  it("cancels a queued run (it never starts), and refuses the wrong command for each state", async () => {
    await startBackup(env.ctx, manual("run_r"));
    await startBackup(env.ctx, schedule("run_q"));

    await expect(cancelBackup(env.ctx, "run_q")).rejects.toMatchObject({ code: "BACKUP_NOT_RUNNING", status: 409 });
    expect(() => cancelQueuedBackup(env.ctx, "run_r")).toThrow(expect.objectContaining({ code: "QUEUED_BACKUP_NOT_FOUND", status: 404 }));
    expect(() => cancelQueuedBackup(env.ctx, "run_nope")).toThrow(expect.objectContaining({ code: "QUEUED_BACKUP_NOT_FOUND" }));
    await expect(cancelBackup(env.ctx, "run_nope")).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });

    expect(cancelQueuedBackup(env.ctx, "run_q")).toEqual({ runId: "run_q", state: "cancelled", queuedPosition: null });
    expect(readEventsAfter(env.store, 0).at(-1)).toMatchObject({ type: "backupCancelled", runId: "run_q" });
    (await engine.nth(0)).finish();
    await env.ctx.slot.whenIdle();
    expect(engine.dumps).toHaveLength(1);
    expect(getRun(env.store, "run_q")?.startedAt).toBeNull();
  });

  it("answers 409 INVALID_STATE_TRANSITION for a completed run, through both cancel commands", async () => {
    await startBackup(env.ctx, manual("run_done"));
    (await engine.nth(0)).finish();
    await env.ctx.slot.whenIdle();
    expect(getRun(env.store, "run_done")?.state).toBe("completed");
    for (const type of ["cancelBackup", "cancelQueuedBackup"] as const) {
      const res = (
        await env.dispatcher.dispatch({ type, requestId: `req_${type}`, timestamp: "2026-01-01T00:00:00Z", idempotencyKey: `k_${type}`, payload: { runId: "run_done" } }, testLink)
      ).response;
      expect(res).toMatchObject({
        statusCode: 409,
        success: false,
        error: { code: "INVALID_STATE_TRANSITION", retryable: false, details: { runId: "run_done", from: "completed", to: "cancelled" } },
      });
    }
    expect(getRun(env.store, "run_done")?.state).toBe("completed");
  });

  it("cancelling the running run hands the slot to the next queued one", async () => {
    await startBackup(env.ctx, manual("run_1"));
    await startBackup(env.ctx, schedule("run_2"));
    await engine.nth(0);
    await cancelBackup(env.ctx, "run_1");
    expect(engine.dumps[0]!.aborted).toBe(true);
    await engine.nth(1);
    expect(getRun(env.store, "run_2")?.state).toBe("running");
    (await engine.nth(1)).finish();
    await env.ctx.slot.whenIdle();
  });

  it("refuses to delete a datasource with a queued or running run (409), and deletes it once idle", async () => {
    await startBackup(env.ctx, manual("run_1"));
    const del = await env.dispatcher.dispatch(
      { type: "deleteDatabaseConfig", requestId: "req_d", timestamp: "2026-01-01T00:00:00Z", idempotencyKey: "kd", payload: { datasourceId: "ds_1" } },
      testLink,
    );
    expect(del.response).toMatchObject({ statusCode: 409, error: { code: "INVALID_STATE_TRANSITION", details: { datasourceId: "ds_1", runId: "run_1", state: "running" } } });
    (await engine.nth(0)).finish();
    await env.ctx.slot.whenIdle();
    const again = await env.dispatcher.dispatch(
      { type: "deleteDatabaseConfig", requestId: "req_d2", timestamp: "2026-01-01T00:00:00Z", idempotencyKey: "kd2", payload: { datasourceId: "ds_1" } },
      testLink,
    );
    expect(again.response).toMatchObject({ statusCode: 200, data: { datasourceId: "ds_1", deleted: true } });
    await expect(startBackup(env.ctx, manual("run_2"))).rejects.toBeInstanceOf(HoldfastError);
    expect(getRun(env.store, "run_1")?.state).toBe("completed");
  });
});
