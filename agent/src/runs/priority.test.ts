import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRunContext } from "../agent.js";
import { DEFAULT_LIMITS } from "../env.js";
import { autogroupNiceOf, ioClassOf, niceOf } from "../testing/process-priority.js";
import { autogroupsEnabled } from "../engines/tool-priority.js";
import { silentLogger } from "../log.js";
import { saveDatasource } from "../store/datasources.js";
import { openStore } from "../store/open-store.js";
import { listRunLogs } from "../store/run-logs.js";
import { getRun } from "../queue/run-record.js";
import { startBackup } from "../queue/start-backup.js";
import { createDatabase, dropDatabase, makeTempDir, ManualClock, PG, psql, uniqueName } from "../testing/helpers.js";

/** The agent's children with this command name (pid, via /proc's parent field). */
function childrenNamed(comm: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (name === comm && ppid === process.pid) found.push(Number(entry));
    } catch {
      // The process ended while the list was read.
    }
  }
  return found;
}

async function waitForChild(comm: string): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [pid] = childrenNamed(comm);
    if (pid) return pid;
    if (Date.now() > deadline) throw new Error(`no ${comm} child appeared`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a backup's tools run at the datasource's priority", () => {
  const source = uniqueName("hf_prio");
  let dir: string;

  beforeAll(() => {
    createDatabase(source);
    psql("CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 2000) g;", source);
  });
  afterAll(() => dropDatabase(source));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("pg_dump and zstd at nice 11 and I/O class idle, with a line in the run's log", async () => {
    dir = makeTempDir("prio");
    const stagingRoot = path.join(dir, "staging");
    const clock = new ManualClock();
    const { store } = openStore({ dataDir: path.join(dir, "data"), stagingRoot, clock });
    const ctx = createRunContext({ store, stagingRoot, clock, log: silentLogger, tmpDir: dir, limits: { ...DEFAULT_LIMITS, toolNice: 3 }, engines: undefined });
    saveDatasource(store, { datasourceId: "ds_prio", name: "prio", engine: "postgres", connection: { ...PG, database: source }, priority: { nice: 11, ioClass: "idle" } });

    // Holds pg_dump at its table lock, so its process (and zstd's) can be read while the run is on.
    const locker = spawn("psql", ["-X", "-q", "-h", PG.host, "-U", PG.username, "-d", source], { stdio: ["pipe", "ignore", "ignore"], env: { ...process.env, PGAPPNAME: "hf_locker" } });
    locker.stdin.write("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120);\n");
    try {
      const deadline = Date.now() + 20_000;
      while (psql(`SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'hf_locker' AND l.mode = 'AccessExclusiveLock' AND l.granted`, source) !== "1") {
        if (Date.now() > deadline) throw new Error("the locker never took its lock");
        await new Promise((r) => setTimeout(r, 20));
      }
      await startBackup(ctx, { runId: "run_prio", datasourceId: "ds_prio", trigger: "manual", requestedBy: "ops@example.com", options: { compression: { codec: "zstd" } } });
      const pgDump = await waitForChild("pg_dump");
      const zstd = await waitForChild("zstd");
      for (const pid of [pgDump, zstd]) {
        expect(niceOf(pid)).toBe(11);
        expect(ioClassOf(pid)).toBe("idle");
        if (autogroupsEnabled()) expect(autogroupNiceOf(pid)).toBe(11);
      }
    } finally {
      // Ending the locker's session releases the lock (a killed psql leaves its backend asleep).
      psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'hf_locker'");
      locker.kill("SIGKILL");
    }
    await ctx.slot.whenIdle();
    expect(getRun(store, "run_prio")!.state).toBe("completed");
    expect(listRunLogs(store, "run_prio").map((l) => l.message)).toContain("tools run at nice 11, I/O class idle");
    store.close();
  });
});
