import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { startAgent } from "../agent.js";
import { PostgresEngine } from "../engines/postgres/engine.js";
import { loadEnv } from "../env.js";
import { writeIdentity } from "../identity/identity-file.js";
import { generateKeyPair, writePrivateKey } from "../identity/keys.js";
import { silentLogger } from "../log.js";
import { saveDatasource } from "../store/datasources.js";
import { readEventsAfter } from "../store/outbox.js";
import { getRun } from "./run-record.js";
import { processAlive, writeStandInPgDump } from "../testing/engines.js";
import { makeTempDir, ManualClock, PG, pidFrom } from "../testing/helpers.js";
import { setupRunEnv, type RunEnv } from "../testing/run-env.js";
import { parseToolMajor } from "../engines/tool-version.js";
import { freeBytesAt } from "../host/free-space.js";
import { preflight } from "../runs/preflight.js";
import { startBackup } from "./start-backup.js";

const manual = (runId: string) => ({ runId, datasourceId: "ds_1", trigger: "manual" as const, requestedBy: "ops@example.com" });

describe("run limits with a stand-in pg_dump", () => {
  let env: RunEnv;

  beforeEach(() => {
    env = setupRunEnv({ prefix: "limits" });
    saveDatasource(env.store, { datasourceId: "ds_1", name: "x", engine: "postgres", connection: { ...PG, database: "postgres" }, maxDurationMinutes: 2 });
  });
  afterEach(() => env.cleanup());

  it("kills a dump that outlives maxDurationMinutes (timer on the clock) and fails the run RUN_TIMEOUT", async () => {
    const standIn = writeStandInPgDump(env.dir, { mode: "hang" });
    env.ctx.engines.postgres = new PostgresEngine({ pgDumpPath: standIn.bin, tmpDir: env.dir });
    await startBackup(env.ctx, manual("run_t"));
    const pid = await pidFrom(standIn.pidFile);
    env.clock.advance(2 * 60_000 - 1);
    expect(getRun(env.store, "run_t")?.state).toBe("running");
    env.clock.advance(1);
    await env.ctx.slot.whenCurrentDone();
    const run = getRun(env.store, "run_t")!;
    expect(run.state).toBe("failed");
    expect(run.error).toMatchObject({ code: "RUN_TIMEOUT", retryable: true, details: { maxDurationMinutes: 2 } });
    expect(processAlive(pid)).toBe(false);
    expect(fs.existsSync(path.join(env.stagingRoot, "run_t"))).toBe(false);
    expect(env.ctx.slot.busy).toBe(false);
  });

  it("refuses startBackup with 503 PRECONDITION_FAILED when pg_dump is older than the server's major", async () => {
    const standIn = writeStandInPgDump(env.dir, { version: "9.6.24", mode: "ok" });
    env.ctx.engines.postgres = new PostgresEngine({ pgDumpPath: standIn.bin, tmpDir: env.dir });
    const err = (await startBackup(env.ctx, manual("run_old")).catch((e: unknown) => e)) as HoldfastError;
    expect(err).toBeInstanceOf(HoldfastError);
    expect(err.status).toBe(503);
    expect(err.code).toBe("PRECONDITION_FAILED");
    expect(err.details?.blockingIssues).toEqual([{ code: "TOOL_TOO_OLD", message: expect.stringContaining("pg_dump 9 cannot dump a PostgreSQL") }]);
    expect(getRun(env.store, "run_old")).toBeNull();

    const report = await preflight(env.ctx, "ds_1");
    expect(report.ok).toBe(false);
    expect(report.toolStatus).toMatchObject({ tool: "pg_dump", found: true, toolMajor: 9, compatible: false, stagingWritable: true, codec: { name: "gzip", available: true } });
    expect(report.toolStatus.serverMajor).toBeGreaterThanOrEqual(10);
  });

  it("preflight against the real server: ok with the real pg_dump; blocking/warning by free space against the last artifact", async () => {
    const good = await preflight(env.ctx, "ds_1");
    expect(good).toMatchObject({ ok: true, blockingIssues: [], toolStatus: { found: true, compatible: true, lastDumpBytes: null } });
    expect(good.toolStatus.toolMajor).toBeGreaterThanOrEqual(good.toolStatus.serverMajor!);
    const free = (await freeBytesAt(env.stagingRoot))!;
    const completedOfSize = (runId: string, size: number) =>
      env.store.db
        .prepare("INSERT INTO runs (run_id, datasource_id, trigger, requested_by, state, queued_at, finished_at, size_bytes) VALUES (?, 'ds_1', 'manual', 'x', 'completed', ?, ?, ?)")
        .run(runId, "2026-01-01T00:00:00.000Z", `2026-01-01T00:00:0${runId.at(-1)}.000Z`, size);
    completedOfSize("run_h1", Math.floor(free * 0.6));
    const warned = await preflight(env.ctx, "ds_1");
    expect(warned.ok).toBe(true);
    expect(warned.warnings.map((w) => w.code)).toContain("LOW_SPACE");
    completedOfSize("run_h2", free * 4);
    const blocked = await preflight(env.ctx, "ds_1");
    expect(blocked.ok).toBe(false);
    expect(blocked.blockingIssues.map((i) => i.code)).toEqual(["INSUFFICIENT_SPACE"]);
  });

  it("reads the major from pg_dump's version line", () => {
    expect(parseToolMajor("pg_dump (PostgreSQL) 16.4 (Debian 16.4-1.pgdg120+1)")).toBe(16);
    expect(parseToolMajor("pg_dump (PostgreSQL) 9.6.24")).toBe(9);
    expect(parseToolMajor(null)).toBeNull();
  });
});

describe("SIGTERM: the agent's stop()", () => {
  const dir = makeTempDir("sigterm");
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("takes no new work, kills the running dump (failed AGENT_STOPPING, retryable, staging removed) and finishes with 0", async () => {
    const dataDir = path.join(dir, "data");
    const keys = await generateKeyPair();
    fs.mkdirSync(dataDir, { mode: 0o700 });
    await writeIdentity(dataDir, { agentId: "agt_stop", keyId: "kid", name: "stop", serverUrl: "http://127.0.0.1:9", pins: [], insecure: false });
    await writePrivateKey(dataDir, keys.privateKey);
    const standIn = writeStandInPgDump(dir, { mode: "hang" });
    const env = { ...loadEnv({ dataDir }, {}), tmpDir: dir };
    const clock = new ManualClock(Date.now());
    const agent = await startAgent(env, silentLogger, clock, { engines: { postgres: new PostgresEngine({ pgDumpPath: standIn.bin, tmpDir: dir }) } });
    const { ctx } = agent;
    saveDatasource(ctx.store, { datasourceId: "ds_1", name: "x", engine: "postgres", connection: { ...PG, database: "postgres" } });
    await startBackup(ctx, manual("run_s"));
    const pid = await pidFrom(standIn.pidFile);
    const runDir = path.join(ctx.stagingRoot, "run_s");
    expect(fs.existsSync(runDir)).toBe(true);

    const stopped = agent.stop();
    await expect(startBackup(ctx, manual("run_late"))).rejects.toMatchObject({ code: "AGENT_STOPPING", status: 503 });
    await stopped;
    expect(await agent.done).toBe(0);
    expect(processAlive(pid)).toBe(false);
    expect(fs.existsSync(runDir)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith("holdfast-pg-"))).toEqual([]);

    // The store is closed by now; what it holds is what the next start finds.
    const { openStore } = await import("../store/open-store.js");
    const { store } = openStore({ dataDir, stagingRoot: ctx.stagingRoot, clock });
    try {
      expect(getRun(store, "run_s")).toMatchObject({ state: "failed", error: { code: "AGENT_STOPPING", retryable: true } });
      expect(getRun(store, "run_late")).toBeNull();
      expect(readEventsAfter(store, 0).at(-1)).toMatchObject({ type: "backupFailed", runId: "run_s", data: { error: { code: "AGENT_STOPPING" } } });
    } finally {
      store.close();
    }
  });
});
