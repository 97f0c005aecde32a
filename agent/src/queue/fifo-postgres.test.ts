import { execFileSync } from "node:child_process";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { PostgresConnection } from "@holdfast/shared";
import { PostgresEngine } from "../engines/postgres/engine.js";
import type { DumpHandle, Engine } from "../engines/types.js";
import { saveDatasource } from "../store/datasources.js";
import { readEventsAfter } from "../store/outbox.js";
import { getRun } from "./run-record.js";
import { createDatabase, dropDatabase, PG, psql, uniqueName } from "../testing/helpers.js";
import { setupRunEnv, type RunEnv } from "../testing/run-env.js";
import { requireArtifact } from "../staging/staged-artifact.js";
import { startBackup } from "./start-backup.js";

/** The real engine, except that the first dump waits for the test to open a gate (so the others queue). */
class GatedEngine implements Engine<PostgresConnection> {
  readonly engine = "postgres" as const;
  readonly toolName = "pg_dump";
  private first = true;
  open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  constructor(private readonly inner: PostgresEngine) {}
  toolVersion() {
    return this.inner.toolVersion();
  }
  testConnection(c: PostgresConnection) {
    return this.inner.testConnection(c);
  }
  listDatabases(c: PostgresConnection) {
    return this.inner.listDatabases(c);
  }
  restore(...args: Parameters<PostgresEngine["restore"]>) {
    return this.inner.restore(...args);
  }
  async dump(c: PostgresConnection): Promise<DumpHandle> {
    if (this.first) {
      this.first = false;
      await this.gate;
    }
    return this.inner.dump(c);
  }
}

describe("queued scheduled runs execute in FIFO order (real pg_dump, real PostgreSQL)", () => {
  const names = ["a", "b", "c", "d"].map((x) => uniqueName(`hf_fifo_${x}`));
  let env: RunEnv;
  let engine: GatedEngine;

  beforeAll(() => {
    names.forEach((db, i) => {
      createDatabase(db);
      psql(`CREATE TABLE marker_${"abcd"[i]} (id int)`, db);
    });
  });
  afterAll(() => names.forEach(dropDatabase));
  beforeEach(() => {
    env = setupRunEnv({ prefix: "fifo" });
    engine = new GatedEngine(new PostgresEngine({ tmpDir: env.dir }));
    env.ctx.engines.postgres = engine;
    names.forEach((db, i) => saveDatasource(env.store, { datasourceId: `ds_${"abcd"[i]}`, name: db, engine: "postgres", connection: { ...PG, database: db } }));
  });
  afterEach(() => env.cleanup());

  it("runs b, c, d after a, in the order they were queued, each dumping its own database", async () => {
    expect((await startBackup(env.ctx, { runId: "run_a", datasourceId: "ds_a", trigger: "manual", requestedBy: "ops" })).state).toBe("running");
    for (const x of ["b", "c", "d"]) {
      const r = await startBackup(env.ctx, { runId: `run_${x}`, datasourceId: `ds_${x}`, trigger: "schedule", scheduleId: `sch_${x}`, requestedBy: "scheduler" });
      expect(r.state).toBe("queued");
    }
    engine.open();
    await env.ctx.slot.whenIdle();

    const events = readEventsAfter(env.store, 0);
    expect(events.filter((e) => e.type === "backupStarted").map((e) => e.runId)).toEqual(["run_a", "run_b", "run_c", "run_d"]);
    expect(events.filter((e) => e.type === "backupDequeued").map((e) => e.runId)).toEqual(["run_b", "run_c", "run_d"]);
    const runs = ["a", "b", "c", "d"].map((x) => getRun(env.store, `run_${x}`)!);
    expect(runs.map((r) => r.state)).toEqual(["completed", "completed", "completed", "completed"]);
    // One at a time: each run started only after the one before it finished.
    for (let i = 1; i < runs.length; i++) {
      const prevEnd = events.findIndex((e) => e.type === "backupCompleted" && e.runId === runs[i - 1]!.runId);
      const start = events.findIndex((e) => e.type === "backupStarted" && e.runId === runs[i]!.runId);
      expect(start).toBeGreaterThan(prevEnd);
    }
    for (const [i, x] of ["a", "b", "c", "d"].entries()) {
      const sql = execFileSync("gunzip", ["-c", requireArtifact(env.store, `run_${x}`).path], { encoding: "utf8" });
      expect(sql).toContain(`CREATE TABLE public.marker_${x}`);
      for (const other of "abcd".replace(x, "")) expect(sql).not.toContain(`marker_${other}`);
      expect(names[i]).toBeDefined();
    }
  });
});
