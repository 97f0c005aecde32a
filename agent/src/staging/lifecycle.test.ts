import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommandFrame } from "@holdfast/shared";
import { saveDatasource } from "../store/datasources.js";
import { lastSequence, markAckedUpTo, pruneOutbox, readEventsAfter } from "../store/outbox.js";
import { getRun } from "../queue/run-record.js";
import { HeldEngine } from "../testing/engines.js";
import { PG } from "../testing/helpers.js";
import { setupRunEnv, testLink, type RunEnv } from "../testing/run-env.js";
import { requireArtifact } from "./staged-artifact.js";
import { startBackup } from "../queue/start-backup.js";

const HOUR = 60 * 60 * 1000;

describe("staging lifecycle", () => {
  let env: RunEnv;
  let engine: HeldEngine;

  beforeEach(() => {
    engine = new HeldEngine();
    env = setupRunEnv({ engines: { postgres: engine }, limits: { artifactTtlMs: HOUR }, prefix: "sweep" });
    saveDatasource(env.store, { datasourceId: "ds_1", name: "x", engine: "postgres", connection: { ...PG, database: "x" } });
  });
  afterEach(() => env.cleanup());

  const completeRun = async (runId: string) => {
    const index = engine.dumps.length;
    await startBackup(env.ctx, { runId, datasourceId: "ds_1", trigger: "manual", requestedBy: "x" });
    (await engine.nth(index)).finish();
    await env.ctx.slot.whenIdle();
  };
  const ask = (type: "readArtifact" | "getArtifactMetadata", runId: string) =>
    env.dispatcher
      .dispatch(
        {
          type,
          requestId: "r",
          timestamp: "2026-01-01T00:00:00Z",
          payload: type === "readArtifact" ? { runId, offset: 0, uploadToken: "t".repeat(40) } : { runId },
        } as CommandFrame,
        testLink,
      )
      .then((d) => d.response);

  it("stages in a 0700 run folder, records expiresAt, and past the TTL removes it with artifactExpired; reads answer 410", async () => {
    env.ctx.sweeper.start();
    await completeRun("run_1");
    const runDir = path.join(env.stagingRoot, "run_1");
    expect(fs.statSync(runDir).mode & 0o777).toBe(0o700);
    expect(await ask("getArtifactMetadata", "run_1")).toMatchObject({ statusCode: 200, data: { expiresAt: "2026-01-01T01:00:00.000Z" } });

    env.clock.advance(HOUR - 1);
    expect(fs.existsSync(runDir)).toBe(true);
    env.clock.advance(1); // the sweeper's timer, armed for the artifact's deadline
    expect(fs.existsSync(runDir)).toBe(false);
    expect(getRun(env.store, "run_1")).toMatchObject({ state: "completed", stagingPath: null, artifactExpiredAt: "2026-01-01T01:00:00.000Z" });
    expect(readEventsAfter(env.store, 0).at(-1)).toMatchObject({ type: "artifactExpired", runId: "run_1", data: { expiredAt: "2026-01-01T01:00:00.000Z" } });
    for (const type of ["readArtifact", "getArtifactMetadata"] as const) {
      expect(await ask(type, "run_1")).toMatchObject({ statusCode: 410, success: false, error: { code: "ARTIFACT_EXPIRED", retryable: false } });
    }
  });

  it("answers 410 past the TTL even before the sweeper ran", async () => {
    await completeRun("run_2");
    env.clock.advance(HOUR);
    expect(() => requireArtifact(env.store, "run_2")).toThrow(expect.objectContaining({ code: "ARTIFACT_EXPIRED", status: 410 }));
  });

  it("never follows a symlink: a link planted in place of a run folder is left alone, its target untouched", async () => {
    await completeRun("run_3");
    const outside = path.join(env.dir, "outside");
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, "precious"), "keep me");
    const runDir = path.join(env.stagingRoot, "run_3");
    fs.rmSync(runDir, { recursive: true });
    fs.symlinkSync(outside, runDir);
    env.clock.advance(HOUR);
    env.ctx.sweeper.sweep();
    expect(fs.readFileSync(path.join(outside, "precious"), "utf8")).toBe("keep me");
    expect(fs.lstatSync(runDir).isSymbolicLink()).toBe(true);
    expect(getRun(env.store, "run_3")?.artifactExpiredAt).not.toBeNull();
  });

  it("at start removes staging folders no run owns (left by a crash) and keeps live artifacts", async () => {
    await completeRun("run_live");
    fs.mkdirSync(path.join(env.stagingRoot, "run_orphan"), { mode: 0o700 });
    fs.writeFileSync(path.join(env.stagingRoot, "run_orphan", "x.partial"), "half");
    const report = env.ctx.sweeper.start();
    expect(report.orphansRemoved).toEqual(["run_orphan"]);
    expect(fs.existsSync(path.join(env.stagingRoot, "run_live"))).toBe(true);
  });

  it("prunes acknowledged events older than a day but keeps the newest, so numbering continues after a restart", async () => {
    await completeRun("run_4");
    const last = lastSequence(env.store);
    markAckedUpTo(env.store, last);
    env.clock.advance(25 * HOUR);
    expect(pruneOutbox(env.store)).toBe(last - 1);
    expect(readEventsAfter(env.store, 0).map((e) => e.sequence)).toEqual([last]);
    env.reopen();
    expect(lastSequence(env.store)).toBe(last);
    await completeRun("run_5");
    expect(readEventsAfter(env.store, last)[0]?.sequence).toBe(last + 1);
  });
});
