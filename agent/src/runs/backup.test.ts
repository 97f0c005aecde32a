import { execSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HoldfastError, type PostgresConnection } from "@holdfast/shared";
import { createRunContext } from "../agent.js";
import { DEFAULT_LIMITS } from "../env.js";
import { PostgresEngine } from "../engines/postgres/engine.js";
import { HeldEngine, writeStandInPgDump } from "../testing/engines.js";
import { silentLogger } from "../log.js";
import { saveDatasource } from "../store/datasources.js";
import { openStore } from "../store/open-store.js";
import { readEventsAfter } from "../store/outbox.js";
import { getRun } from "../queue/run-record.js";
import type { AgentStore } from "../store/store.js";
import { createDatabase, dropDatabase, makeTempDir, ManualClock, PG, psql, uniqueName } from "../testing/helpers.js";
import { getArtifactMetadata, requireArtifact } from "../staging/staged-artifact.js";
import { cleanupStaging } from "../staging/cleanup-staging.js";
import type { RunContext } from "./context.js";
import { getExecutionStatus } from "../queue/execution-status.js";
import { startBackup } from "../queue/start-backup.js";

function setup(engines?: RunContext["engines"]) {
  const dir = makeTempDir("runs");
  const stagingRoot = path.join(dir, "staging");
  const clock = new ManualClock();
  const { store } = openStore({ dataDir: path.join(dir, "data"), stagingRoot, clock });
  const ctx = createRunContext({ store, stagingRoot, clock, log: silentLogger, tmpDir: dir, limits: DEFAULT_LIMITS, ...(engines ? { engines } : {}) });
  return { dir, stagingRoot, store, ctx };
}

const start = (ctx: RunContext, runId: string, trigger: "manual" | "schedule" = "manual", datasourceId = "ds_pg", scheduleId = `sch_${runId}`) =>
  startBackup(ctx, { runId, datasourceId, trigger, requestedBy: "ops@example.com", ...(trigger === "schedule" ? { scheduleId } : {}) });

describe("a backup of a real PostgreSQL database", () => {
  const source = uniqueName("hf_src");
  const target = uniqueName("hf_dst");
  let env: ReturnType<typeof setup>;

  beforeAll(() => {
    createDatabase(source);
    createDatabase(target);
    psql("CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5000) g;", source);
  });
  afterAll(() => {
    dropDatabase(source);
    dropDatabase(target);
  });
  beforeEach(() => {
    env = setup();
    const connection: PostgresConnection = { ...PG, database: source };
    saveDatasource(env.store, { datasourceId: "ds_pg", name: "src", engine: "postgres", connection });
    saveDatasource(env.store, { datasourceId: "ds_bad", name: "bad", engine: "postgres", connection: { ...connection, database: "hf_no_such_database" } });
  });
  afterEach(() => {
    env.store.close();
    fs.rmSync(env.dir, { recursive: true, force: true });
  });

  it("stages a gzip whose recorded size and SHA-256 match the file, and which restores with gunzip | psql", async () => {
    expect(await start(env.ctx, "run_ok")).toEqual({ runId: "run_ok", state: "running", queuedPosition: null });
    await env.ctx.slot.whenIdle();

    const run = getRun(env.store, "run_ok")!;
    expect(run.state).toBe("completed");
    const artifact = requireArtifact(env.store, "run_ok");
    const bytes = fs.readFileSync(artifact.path);
    expect(artifact.path).toBe(path.join(env.stagingRoot, "run_ok", "run_ok.sql.gz"));
    expect(run.sizeBytes).toBe(bytes.length);
    expect(run.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(getArtifactMetadata(env.store, "run_ok")).toMatchObject({ sizeBytes: bytes.length, sha256: run.sha256, fileName: "run_ok.sql.gz" });
    expect(fs.statSync(env.stagingRoot).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.dirname(artifact.path)).mode & 0o777).toBe(0o700);

    execSync(`gunzip -c ${JSON.stringify(artifact.path)} | psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d ${target}`, { stdio: "pipe" });
    expect(psql("SELECT count(*), sum(id) FROM items", target)).toBe("5000|12502500");

    const events = readEventsAfter(env.store, 0).filter((e) => e.runId === "run_ok");
    expect(events.map((e) => e.type).filter((t) => t !== "backupProgress" && t !== "backupStep")).toEqual(["backupStarted", "backupCompleted"]);
    expect(events.filter((e) => e.type === "backupStep").map((e) => (e.data as { step: string }).step)).toEqual(["preflight", "dump", "stage", "verify"]);
    expect(events.at(-1)?.data).toMatchObject({ sizeBytes: bytes.length, sha256: run.sha256, codec: "gzip", rawSizeBytes: run.rawSizeBytes });

    expect(cleanupStaging(env.ctx, "run_ok")).toEqual({ runId: "run_ok", removed: true });
    expect(fs.existsSync(path.dirname(artifact.path))).toBe(false);
    expect(() => requireArtifact(env.store, "run_ok")).toThrow(expect.objectContaining({ code: "ARTIFACT_NOT_FOUND" }));
  });

  it("refuses to start a backup of a missing database: 422 DATABASE_NOT_FOUND from the preflight, no run", async () => {
    const err = await start(env.ctx, "run_bad", "manual", "ds_bad").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).status).toBe(422);
    expect((err as HoldfastError).code).toBe("DATABASE_NOT_FOUND");
    const issues = (err as HoldfastError).details?.blockingIssues as { code: string; message: string }[];
    expect(issues.map((i) => i.code)).toEqual(["DATABASE_NOT_FOUND"]);
    expect(issues[0]?.message).toContain("does not exist");
    expect(getRun(env.store, "run_bad")).toBeNull();
    expect(fs.existsSync(path.join(env.stagingRoot, "run_bad"))).toBe(false);
  });

  it("fails a dump that dies mid-way with DUMP_FAILED and leaves no file in staging", async () => {
    // The database exists at preflight; the dump tool then fails (a stand-in that exits 1 after --version).
    const bin = path.join(env.dir, "pg_dump_failing");
    fs.writeFileSync(bin, '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.0"; exit 0; fi\necho "-- half"\necho "pg_dump: error: connection lost" >&2\nexit 1\n', { mode: 0o755 });
    env.ctx.engines.postgres = new PostgresEngine({ pgDumpPath: bin, tmpDir: env.dir });
    await start(env.ctx, "run_bad");
    await env.ctx.slot.whenIdle();
    const run = getRun(env.store, "run_bad")!;
    expect(run.state).toBe("failed");
    expect(run.error?.code).toBe("DUMP_FAILED");
    expect(String(run.error?.details?.stderr)).toContain("connection lost");
    expect(fs.existsSync(path.join(env.stagingRoot, "run_bad"))).toBe(false);
    expect(readEventsAfter(env.store, 0).at(-1)).toMatchObject({ type: "backupFailed", runId: "run_bad", data: { error: { code: "DUMP_FAILED" } } });
    expect(() => requireArtifact(env.store, "run_bad")).toThrow(expect.objectContaining({ code: "ARTIFACT_NOT_FOUND" }));
  });
  it.each([
    { label: "plain, gzip", options: undefined, garbage: "<html>502 Bad Gateway</html>" },
    { label: "custom, zstd", options: { format: "custom", compression: { codec: "zstd" } }, garbage: "--\\n-- PostgreSQL database dump\\n" },
  ])("fails a dump tool that exits 0 after writing something else than a dump ($label), leaving nothing staged", async ({ options, garbage }) => {
    const bin = path.join(env.dir, "pg_dump_garbage");
    fs.writeFileSync(bin, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) 99.0"; exit 0; fi\nprintf '${garbage}'\nhead -c 100000 /dev/urandom\nexit 0\n`, { mode: 0o755 });
    env.ctx.engines.postgres = new PostgresEngine({ pgDumpPath: bin, tmpDir: env.dir });
    await startBackup(env.ctx, { runId: "run_garbage", datasourceId: "ds_pg", trigger: "manual", requestedBy: "ops@example.com", ...(options ? { options } : {}) } as Parameters<typeof startBackup>[1]);
    await env.ctx.slot.whenIdle();
    const run = getRun(env.store, "run_garbage")!;
    expect(run.state).toBe("failed");
    expect(run.error).toMatchObject({ code: "DUMP_FAILED", message: expect.stringContaining("does not start as pg_dump output does") });
    expect(fs.existsSync(path.join(env.stagingRoot, "run_garbage"))).toBe(false);
  });
});

describe("the one backup slot", () => {
  let env: ReturnType<typeof setup>;
  let engine: HeldEngine;
  let store: AgentStore;

  beforeEach(() => {
    engine = new HeldEngine();
    env = setup({ postgres: engine });
    store = env.store;
    saveDatasource(store, { datasourceId: "ds_pg", name: "x", engine: "postgres", connection: { ...PG, database: "x" } });
  });
  afterEach(() => {
    store.close();
    fs.rmSync(env.dir, { recursive: true, force: true });
  });

  it("refuses a second manual start with 409 BACKUP_ALREADY_RUNNING naming the running run", async () => {
    await start(env.ctx, "run_1");
    const err = await start(env.ctx, "run_2").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).status).toBe(409);
    expect((err as HoldfastError).code).toBe("BACKUP_ALREADY_RUNNING");
    expect((err as HoldfastError).details).toEqual({ runId: "run_1", rule: expect.stringContaining("only schedule firings queue") });
    expect(getRun(store, "run_2")).toBeNull();
    (await engine.nth(0)).finish();
    await env.ctx.slot.whenIdle();
    expect(getRun(store, "run_1")?.state).toBe("completed");
    // Once the slot is free a manual start goes through again.
    expect((await start(env.ctx, "run_3")).state).toBe("running");
    (await engine.nth(1)).finish();
    await env.ctx.slot.whenIdle();
  });

  it("queues scheduled starts while busy and runs them in FIFO order when the slot frees", async () => {
    await start(env.ctx, "run_a");
    expect(await start(env.ctx, "run_b", "schedule")).toEqual({ runId: "run_b", state: "queued", queuedPosition: 1 });
    expect(await start(env.ctx, "run_c", "schedule")).toEqual({ runId: "run_c", state: "queued", queuedPosition: 2 });
    expect(getExecutionStatus(store, "run_c")).toEqual({ runId: "run_c", state: "queued", queuedPosition: 2 });
    (await engine.nth(0)).fail();
    const second = await engine.nth(1);
    expect(getRun(store, "run_a")?.state).toBe("failed");
    expect(getExecutionStatus(store, "run_b")).toEqual({ runId: "run_b", state: "running", queuedPosition: null });
    expect(getExecutionStatus(store, "run_c").queuedPosition).toBe(1);
    second.finish();
    (await engine.nth(2)).finish();
    await env.ctx.slot.whenIdle();
    expect(["run_a", "run_b", "run_c"].map((id) => getRun(store, id)?.state)).toEqual(["failed", "completed", "completed"]);
    const events = readEventsAfter(store, 0);
    expect(events.filter((e) => e.type === "backupStarted").map((e) => e.runId)).toEqual(["run_a", "run_b", "run_c"]);
    // A dequeued run announces it left the queue, then that it started.
    const bEvents = events.filter((e) => e.runId === "run_b").map((e) => e.type);
    expect(bEvents.slice(0, 3)).toEqual(["backupQueued", "backupDequeued", "backupStarted"]);
    expect(events.filter((e) => e.type === "backupQueued").map((e) => e.data)).toEqual([
      { datasourceId: "ds_pg", trigger: "schedule", scheduleId: "sch_run_b", queuedPosition: 1 },
      { datasourceId: "ds_pg", trigger: "schedule", scheduleId: "sch_run_c", queuedPosition: 2 },
    ]);
  });

  it("refuses run ids that could escape the staging dir, and unknown datasources", async () => {
    await expect(start(env.ctx, "../../etc")).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    await expect(start(env.ctx, "run_x", "manual", "ds_missing")).rejects.toMatchObject({ code: "DATASOURCE_NOT_FOUND" });
    expect(store.db.prepare("SELECT count(*) FROM runs").pluck().get()).toBe(0);
  });

  it("will not clean up the staging of a running run", async () => {
    await start(env.ctx, "run_r");
    expect(() => cleanupStaging(env.ctx, "run_r")).toThrow(expect.objectContaining({ code: "BACKUP_ALREADY_RUNNING" }));
    (await engine.nth(0)).finish();
    await env.ctx.slot.whenIdle();
  });
});
