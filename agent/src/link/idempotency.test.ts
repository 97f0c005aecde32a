import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandFrame } from "@holdfast/shared";
import { saveDatasource } from "../store/datasources.js";
import { findIdempotencyRecord } from "../store/idempotency.js";
import { HeldEngine } from "../testing/engines.js";
import { PG } from "../testing/helpers.js";
import { setupRunEnv, testLink, type RunEnv } from "../testing/run-env.js";

const HOUR = 60 * 60 * 1000;

describe("idempotency keys, persisted with a window", () => {
  let env: RunEnv;
  let engine: HeldEngine;

  beforeEach(() => {
    engine = new HeldEngine();
    env = setupRunEnv({ engines: { postgres: engine }, limits: { idempotencyWindowMs: 2 * HOUR }, prefix: "idem" });
    saveDatasource(env.store, { datasourceId: "ds_1", name: "x", engine: "postgres", connection: { ...PG, database: "x" } });
  });
  afterEach(() => env.cleanup());

  const start = (key: string, runId: string, requestId: string) =>
    env.dispatcher
      .dispatch(
        {
          type: "startBackup",
          requestId,
          timestamp: "2026-01-01T00:00:00Z",
          idempotencyKey: key,
          payload: { runId, datasourceId: "ds_1", trigger: "manual", requestedBy: "ops@example.com" },
        } as CommandFrame,
        testLink,
      )
      .then((d) => d.response);

  it("same key + same payload: one run, the same answer (concurrently, and after a restart); other payload: 422", async () => {
    const [a, b] = await Promise.all([start("k1", "run_1", "r1"), start("k1", "run_1", "r2")]);
    expect(a).toMatchObject({ requestId: "r1", statusCode: 202, data: { runId: "run_1", state: "running" } });
    expect(b).toMatchObject({ requestId: "r2", statusCode: 202, data: { runId: "run_1", state: "running" } });

    env.reopen(); // kill -9 and start again: the record is in SQLite
    const c = await start("k1", "run_1", "r3");
    expect(c).toMatchObject({ requestId: "r3", statusCode: 202, data: { runId: "run_1", state: "running" } });
    expect(env.store.db.prepare("SELECT count(*) FROM runs").pluck().get()).toBe(1);
    expect(env.store.db.prepare("SELECT count(*) FROM outbox WHERE type = 'backupStarted'").pluck().get()).toBe(1);

    const other = await start("k1", "run_2", "r4");
    expect(other).toMatchObject({ statusCode: 422, success: false, error: { code: "IDEMPOTENCY_KEY_REUSED", retryable: false } });
  });

  it("a record older than the window no longer matches: the key is free again", async () => {
    await start("k2", "run_a", "r1");
    (await engine.nth(0)).finish();
    await env.ctx.slot.whenIdle();
    env.clock.advance(2 * HOUR - 1);
    expect((await start("k2", "run_b", "r2")).error?.code).toBe("IDEMPOTENCY_KEY_REUSED");
    env.clock.advance(1);
    expect(findIdempotencyRecord(env.store, "k2", 2 * HOUR)).toBeNull();
    const fresh = await start("k2", "run_b", "r3");
    expect(fresh).toMatchObject({ statusCode: 202, data: { runId: "run_b", state: "running" } });
    (await engine.nth(1)).finish();
    await env.ctx.slot.whenIdle();
  });

  it("the sweeper purges records past the window", async () => {
    await start("k3", "run_x", "r1");
    (await engine.nth(0)).finish();
    await env.ctx.slot.whenIdle();
    expect(env.store.db.prepare("SELECT count(*) FROM idempotency").pluck().get()).toBe(1);
    env.clock.advance(2 * HOUR + 1);
    env.ctx.sweeper.sweep();
    expect(env.store.db.prepare("SELECT count(*) FROM idempotency").pluck().get()).toBe(0);
  });
});
