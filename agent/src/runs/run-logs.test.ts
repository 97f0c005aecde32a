import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandFrame } from "@holdfast/shared";
import { PostgresEngine } from "../engines/postgres/engine.js";
import { saveDatasource } from "../store/datasources.js";
import { writeStandInPgDump } from "../testing/engines.js";
import { PG } from "../testing/helpers.js";
import { setupRunEnv, testLink, type RunEnv } from "../testing/run-env.js";
import { startBackup } from "../queue/start-backup.js";

describe("run logs and error details", () => {
  let env: RunEnv;
  const password = "Sup3r:s3cret-pw";

  beforeEach(() => {
    env = setupRunEnv({ prefix: "runlogs" });
    saveDatasource(env.store, { datasourceId: "ds_1", name: "x", engine: "postgres", connection: { ...PG, database: "postgres", password } });
  });
  afterEach(() => env.cleanup());

  const ask = (type: "getRunLogs" | "getRunErrorDetails", runId: string) =>
    env.dispatcher.dispatch({ type, requestId: "r", timestamp: "2026-01-01T00:00:00Z", payload: { runId } } as CommandFrame, testLink).then((d) => d.response);

  it("keeps the steps and the dump tool's stderr warnings, with the password redacted", async () => {
    const standIn = writeStandInPgDump(env.dir, { mode: "ok", stderr: ["pg_dump: warning: there are circular foreign-key constraints"], leakPassfile: true });
    env.ctx.engines.postgres = new PostgresEngine({ pgDumpPath: standIn.bin, tmpDir: env.dir });
    await startBackup(env.ctx, { runId: "run_w", datasourceId: "ds_1", trigger: "manual", requestedBy: "x" });
    await env.ctx.slot.whenIdle();
    const res = await ask("getRunLogs", "run_w");
    expect(res.statusCode).toBe(200);
    const lines = (res.data as { lines: { level: string; message: string }[] }).lines;
    const text = JSON.stringify(lines);
    expect(text).not.toContain("s3cret");
    expect(lines.map((l) => l.message)).toEqual(
      expect.arrayContaining([
        "started",
        expect.stringMatching(/^\[preflight\]/),
        expect.stringMatching(/^\[dump\] pg_dump started/),
        expect.stringMatching(/^\[stage\]/),
        expect.stringMatching(/^\[verify\]/),
        "pg_dump: pg_dump: warning: there are circular foreign-key constraints",
        expect.stringMatching(/^completed: run_w\.sql\.gz/),
      ]),
    );
    expect(lines.find((l) => l.message.includes("circular"))?.level).toBe("warn");
    expect(lines.some((l) => l.message.includes("********"))).toBe(true);
    expect(await ask("getRunErrorDetails", "run_w")).toMatchObject({ statusCode: 200, data: { runId: "run_w", state: "completed", error: null } });
  });

  it("returns a failed run's error body, and its failure line", async () => {
    const standIn = writeStandInPgDump(env.dir, { mode: "hang" });
    env.ctx.engines.postgres = new PostgresEngine({ pgDumpPath: standIn.bin, tmpDir: env.dir });
    saveDatasource(env.store, { datasourceId: "ds_1", name: "x", engine: "postgres", connection: { ...PG, database: "postgres", password }, maxDurationMinutes: 1 });
    await startBackup(env.ctx, { runId: "run_f", datasourceId: "ds_1", trigger: "manual", requestedBy: "x" });
    env.clock.advance(60_000);
    await env.ctx.slot.whenIdle();
    expect(await ask("getRunErrorDetails", "run_f")).toMatchObject({
      statusCode: 200,
      data: { runId: "run_f", state: "failed", error: { code: "RUN_TIMEOUT", retryable: true, message: expect.any(String) } },
    });
    const lines = ((await ask("getRunLogs", "run_f")).data as { lines: { level: string; message: string }[] }).lines;
    expect(lines.at(-1)).toMatchObject({ level: "error", message: expect.stringContaining("failed RUN_TIMEOUT") });
    expect(await ask("getRunLogs", "run_nope")).toMatchObject({ statusCode: 404, error: { code: "RUN_NOT_FOUND" } });
  });
});
