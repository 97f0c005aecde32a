import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../pipeline/run-pipeline.js";
import { makeTempDir, ManualClock } from "../../testing/helpers.js";
import { SqliteEngine } from "./engine.js";

const tmp = makeTempDir("sqlite-writer");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const WRITER = path.join(import.meta.dirname, "fixtures", "wal-writer.cjs");

function commitsIn(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT commits FROM progress").pluck().get() as number;
  } finally {
    db.close();
  }
}

/** A second process writing the database in transactions (fixtures/wal-writer.cjs); resolves once it committed. */
async function startWriter(file: string): Promise<{ child: ChildProcessWithoutNullStreams; stop(): Promise<number> }> {
  const child = spawn(process.execPath, [WRITER, file], { stdio: "pipe" });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  let err = "";
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => out.includes("ready") && (clearInterval(t), resolve()), 10);
    child.once("exit", (code) => (clearInterval(t), reject(new Error(`writer exited ${code}: ${err}`))));
  });
  return {
    child,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      return Number(/commits (\d+)/.exec(out)?.[1]);
    },
  };
}

describe("a SQLite database in WAL mode, written by another process during the backup", () => {
  it("restores to one consistent snapshot: integrity ok, the invariant holds, rows equal the snapshot's fingerprint", async () => {
    const source = path.join(tmp, "busy.sqlite");
    const setup = new Database(source);
    setup.pragma("journal_mode = WAL");
    setup.exec(`CREATE TABLE debit (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, payload BLOB);
                CREATE TABLE credit (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, payload BLOB);
                CREATE INDEX debit_amount ON debit (amount);
                CREATE TABLE progress (commits INTEGER NOT NULL); INSERT INTO progress VALUES (0);`);
    // Some volume first, so the copy takes a while (about 40 MB).
    setup.exec(`WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 20000)
                INSERT INTO debit (amount, payload) SELECT v, randomblob(1024) FROM n`);
    setup.exec("INSERT INTO credit (amount, payload) SELECT amount, payload FROM debit");
    setup.close();

    const writer = await startWriter(source);
    const engine = new SqliteEngine({ tmpDir: tmp, fingerprintDumps: true });
    let before: number;
    let after: number;
    let artifact;
    let fingerprint;
    try {
      before = commitsIn(source);
      const runDir = fs.mkdtempSync(path.join(tmp, "run-"));
      const dump = await engine.dump({ path: source });
      artifact = await runPipeline({ dump, runDir, runId: "run_busy", clock: new ManualClock(), compression: { codec: "gzip", level: 1 }, extension: ".sqlite.gz" });
      fingerprint = await dump.sourceFingerprint!();
      after = commitsIn(source);
    } finally {
      await writer.stop();
    }
    // The writer was really writing while the backup ran.
    expect(after).toBeGreaterThan(before);

    const target = path.join(tmp, "restored.sqlite");
    await engine.restore(fs.createReadStream(artifact.stagingPath), { path: target }, { format: "sqlite", codec: "gzip" });
    const db = new Database(target, { readonly: true });
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
      const sums = db.prepare("SELECT (SELECT sum(amount) FROM debit), (SELECT sum(amount) FROM credit), (SELECT count(*) FROM debit), (SELECT count(*) FROM credit)").raw().get() as number[];
      expect(sums[0]).toBe(sums[1]);
      expect(sums[2]).toBe(sums[3]);
      const snapshotCommits = db.prepare("SELECT commits FROM progress").pluck().get() as number;
      // One moment of the database: between the commits seen before and after the dump, and rows to match.
      expect(snapshotCommits).toBeGreaterThanOrEqual(before);
      expect(snapshotCommits).toBeLessThanOrEqual(after);
      expect(sums[2]).toBe(20000 + snapshotCommits * 20);
    } finally {
      db.close();
    }
    expect(await engine.fingerprint({ path: target })).toEqual(fingerprint);
  }, 120_000);
});
