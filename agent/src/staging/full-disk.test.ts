import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRunContext } from "../agent.js";
import { DEFAULT_LIMITS } from "../env.js";
import { silentLogger } from "../log.js";
import { saveDatasource } from "../store/datasources.js";
import { openStore } from "../store/open-store.js";
import { readEventsAfter } from "../store/outbox.js";
import { getRun } from "../queue/run-record.js";
import { createDatabase, dropDatabase, makeTempDir, ManualClock, PG, psql, uniqueName } from "../testing/helpers.js";
import { startBackup } from "../queue/start-backup.js";

/** A staging area on a 2 MiB tmpfs: what a full disk looks like to a backup. Mounting needs root. */
function mountTinyTmpfs(dir: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", dir], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}

const canMount = process.getuid?.() === 0;

describe.skipIf(!canMount)("a backup onto a full disk (staging on a 2 MiB tmpfs; needs root to mount)", () => {
  const dir = makeTempDir("full");
  const stagingRoot = path.join(dir, "staging");
  const source = uniqueName("hf_full");
  let mounted = false;

  beforeAll(() => {
    fs.mkdirSync(stagingRoot);
    mounted = mountTinyTmpfs(stagingRoot);
    createDatabase(source);
    // About 8 MiB of incompressible-enough text, four times the room.
    psql("CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v FROM generate_series(1, 120000) g", source);
  });
  afterAll(() => {
    if (mounted) execFileSync("umount", [stagingRoot]);
    dropDatabase(source);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("fails STAGING_FAILED (ENOSPC), leaves nothing in staging and never reports a completed artifact", async () => {
    expect(mounted).toBe(true);
    const clock = new ManualClock();
    const { store } = openStore({ dataDir: path.join(dir, "data"), stagingRoot, clock });
    const ctx = createRunContext({ store, stagingRoot, clock, log: silentLogger, tmpDir: dir, limits: DEFAULT_LIMITS });
    try {
      saveDatasource(store, { datasourceId: "ds_full", name: "full", engine: "postgres", connection: { ...PG, database: source } });
      await startBackup(ctx, { runId: "run_full", datasourceId: "ds_full", trigger: "manual", requestedBy: "ops", options: { compression: { codec: "none" } } });
      await ctx.slot.whenIdle();
      const run = getRun(store, "run_full")!;
      expect(run.state).toBe("failed");
      expect(run.error).toMatchObject({ code: "STAGING_FAILED", details: { cause: "ENOSPC" } });
      expect(fs.readdirSync(stagingRoot, { recursive: true }).map(String).filter((f) => !f.startsWith("."))).toEqual([]);
      const types = readEventsAfter(store, 0).map((e) => e.type);
      expect(types).toContain("backupFailed");
      expect(types).not.toContain("backupCompleted");
    } finally {
      store.close();
    }
  });
});
