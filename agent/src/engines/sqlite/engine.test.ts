import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteConnection } from "@holdfast/shared";
import { makeTempDir } from "../../testing/helpers.js";
import { linkedSqliteVersion, SqliteEngine } from "./engine.js";

const tmp = makeTempDir("sqlite-engine");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const engine = new SqliteEngine({ tmpDir: tmp, busyTimeoutMs: 300, fingerprintDumps: true });

function makeDatabase(name: string, journal: "wal" | "delete" = "wal"): string {
  const file = path.join(tmp, name);
  const db = new Database(file);
  db.pragma(`journal_mode = ${journal}`);
  db.exec("CREATE TABLE a (x); CREATE TABLE b (y); INSERT INTO a VALUES (1), (2);");
  db.close();
  return file;
}

describe("SqliteEngine: connection test and listing", () => {
  it("reports the linked SQLite version, the file's size and its tables", async () => {
    const file = makeDatabase("ok.sqlite");
    const r = await engine.testConnection({ path: file });
    expect(r.serverVersion).toBe(`SQLite ${linkedSqliteVersion()}`);
    expect(r.tablesCount).toBe(2);
    expect(r.databaseSizeBytes).toBe(fs.statSync(file).size);
    expect(await engine.toolVersion()).toMatch(/^SQLite 3\.\d+\.\d+/);
    expect(await engine.listDatabases({ path: file })).toEqual([{ name: file, sizeBytes: fs.statSync(file).size }]);
  });

  it.each([
    ["a folder", () => tmp, "not_a_file"],
    ["an empty file", () => (fs.writeFileSync(path.join(tmp, "empty.sqlite"), ""), path.join(tmp, "empty.sqlite")), "not_a_database"],
    ["a text file", () => (fs.writeFileSync(path.join(tmp, "notes.txt"), "hello, not a database\n".repeat(100)), path.join(tmp, "notes.txt")), "not_a_database"],
    [
      "a file with a SQLite header and garbage after it",
      () => {
        const f = path.join(tmp, "garbage.sqlite");
        fs.writeFileSync(f, Buffer.concat([Buffer.from("SQLite format 3\0", "latin1"), Buffer.alloc(4096, 0xab)]));
        return f;
      },
      "not_a_database",
    ],
  ])("refuses %s with DB_CONNECTION_TEST_FAILED and a clear reason", async (_what, make, reason) => {
    const file = make();
    const err = await engine.testConnection({ path: file }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "DB_CONNECTION_TEST_FAILED", details: { path: file, reason } });
    expect((err as Error).message).toContain(file);
  });

  it("a file that does not exist is DATABASE_NOT_FOUND (422, not retried) in the connection test and the dump", async () => {
    for (const file of [path.join(tmp, "nope.sqlite"), path.join(tmp, "no-such-dir", "x.sqlite")]) {
      const test = await engine.testConnection({ path: file }).catch((e: unknown) => e);
      expect(test).toMatchObject({ code: "DATABASE_NOT_FOUND", status: 422, retryable: false, details: { path: file, reason: "missing" } });
      expect((test as Error).message).toContain(file);
      const dump = await engine.dump({ path: file });
      dump.stdout.resume();
      await expect(dump.done).rejects.toMatchObject({ code: "DATABASE_NOT_FOUND", details: { path: file, reason: "missing" } });
    }
  });

  it("refuses hostile paths in the connection schema: relative, NUL, newline", () => {
    for (const p of ["db.sqlite", "../etc/passwd", "/tmp/a\0b.sqlite", "/tmp/a\nb.sqlite", "", "-/x"]) {
      expect(SqliteConnection.safeParse({ path: p }).success, JSON.stringify(p)).toBe(false);
    }
    expect(SqliteConnection.safeParse({ path: "/var/lib/app/db.sqlite", extra: 1 }).success).toBe(false);
  });
});

describe("SqliteEngine: a locked database", () => {
  // Rollback-journal mode: BEGIN EXCLUSIVE locks readers out (in WAL mode readers never wait on writers).
  it("fails the connection test and the dump with reason `locked` once the busy timeout passes", async () => {
    const file = makeDatabase("locked.sqlite", "delete");
    const holder = new Database(file);
    holder.exec("BEGIN EXCLUSIVE; INSERT INTO a VALUES (3);");
    try {
      const started = Date.now();
      const test = await engine.testConnection({ path: file }).catch((e: unknown) => e);
      expect(test).toMatchObject({ code: "DB_CONNECTION_TEST_FAILED", details: { reason: "locked", sqliteCode: expect.stringMatching(/^SQLITE_BUSY/), busyTimeoutMs: 300 } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);

      const dump = await engine.dump({ path: file });
      const chunks: Buffer[] = [];
      dump.stdout.on("data", (c: Buffer) => chunks.push(c));
      const err = await dump.done.catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "DUMP_FAILED", retryable: true, details: { reason: "locked", stage: "snapshot", path: file } });
      expect((err as Error).message).toMatch(/locked/);
      expect(Buffer.concat(chunks).length).toBe(0);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
    // Released: the same database dumps.
    expect((await engine.testConnection({ path: file })).tablesCount).toBe(2);
    // Nothing of the failed dump stays in the temp dir.
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith("holdfast-sqlite-"))).toEqual([]);
  });

  it("WAL mode: a writer's open transaction does not block the dump (readers never wait)", async () => {
    const file = makeDatabase("wal-busy.sqlite", "wal");
    const holder = new Database(file);
    holder.exec("BEGIN EXCLUSIVE; INSERT INTO a VALUES (99);");
    try {
      const dump = await engine.dump({ path: file });
      dump.stdout.resume();
      await dump.done;
      const fp = await dump.sourceFingerprint!();
      expect(fp.items.a!.rows).toBe(2);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
  });
});

describe("SqliteEngine: stopping a dump", () => {
  it("abort() and a reader that goes away both settle `done` (DUMP_FAILED) and remove the temp copy", async () => {
    const file = path.join(tmp, "big.sqlite");
    const db = new Database(file);
    db.exec("CREATE TABLE t (b BLOB); WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 8000) INSERT INTO t SELECT randomblob(4096) FROM n;");
    db.close();
    const local = new SqliteEngine({ tmpDir: path.join(tmp, "stop") });

    const aborted = await local.dump({ path: file });
    await new Promise((r) => aborted.stdout.once("readable", r));
    expect(aborted.abort()).toBe(true);
    await expect(aborted.done).rejects.toMatchObject({ code: "DUMP_FAILED", details: { signal: "SIGTERM" } });

    const abandoned = await local.dump({ path: file });
    await new Promise((r) => abandoned.stdout.once("readable", r));
    abandoned.stdout.destroy();
    await expect(abandoned.done).rejects.toMatchObject({ code: "DUMP_FAILED", details: { stage: "stream" } });
    expect(fs.readdirSync(path.join(tmp, "stop"))).toEqual([]);
  }, 30_000);
});
