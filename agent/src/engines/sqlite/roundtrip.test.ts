import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { artifactExtension, resolveBackupOptions, type Codec } from "@holdfast/shared";
import { runPipeline } from "../../pipeline/run-pipeline.js";
import { stageBackup } from "../../testing/engines.js";
import { makeTempDir, ManualClock } from "../../testing/helpers.js";
import { SqliteEngine } from "./engine.js";

const tmp = makeTempDir("sqlite-roundtrip");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const engine = new SqliteEngine({ tmpDir: path.join(tmp, "engine-tmp"), fingerprintDumps: true });

const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** Awkward values: NULL next to '' and x'', every byte value, 4-byte UTF-8, a 3 MiB TEXT, big integers, reals. */
function makeAwkwardDatabase(file: string): void {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE awkward (id INTEGER PRIMARY KEY, v);
           CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
           CREATE INDEX awkward_v ON awkward (v);`);
  const ins = db.prepare("INSERT INTO awkward (v) VALUES (?)");
  for (const v of [null, "", Buffer.alloc(0), EVERY_BYTE, "😀𝄞\u{10FFFF}", "x".repeat(3 * 1024 * 1024), 9007199254740993n, -0.1, 1e308]) ins.run(v as never);
  const kv = db.prepare("INSERT INTO kv VALUES (?, ?)");
  db.transaction(() => {
    for (let i = 0; i < 2000; i++) kv.run(`key-${i}`, Buffer.alloc(100, i % 256));
  })();
  db.close();
}

async function backup(file: string, codec: Codec, runId: string) {
  const resolved = resolveBackupOptions({ compression: { codec } }, "sqlite");
  const { artifact, dump } = await stageBackup(engine, { path: file }, resolved, { tmp, runId });
  return { artifact, fingerprint: await dump.sourceFingerprint!(), format: resolved.format };
}

function integrity(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    return db.pragma("integrity_check", { simple: true }) as string;
  } finally {
    db.close();
  }
}

describe("SQLite through the agent's pipeline and back with engine.restore", () => {
  const source = path.join(tmp, "awkward.sqlite");
  makeAwkwardDatabase(source);

  for (const codec of ["gzip", "zstd", "none"] as const) {
    it(`${codec}: the restored file passes integrity_check and holds exactly the snapshot's rows`, async () => {
      const { artifact, fingerprint, format } = await backup(source, codec, `run_${codec}`);
      expect(format).toBe("sqlite");
      expect(artifact.fileName).toBe(`run_${codec}${artifactExtension("sqlite", codec)}`);
      const target = path.join(tmp, `restored-${codec}.sqlite`);
      const result = await engine.restore(fs.createReadStream(artifact.stagingPath), { path: target }, { format: "sqlite", codec });
      expect(result.warnings).toEqual([]);
      // Only the restored file: no candidate or companion files left beside it (read-only reads below add -wal/-shm).
      expect(fs.readdirSync(tmp).filter((f) => f.includes(`restored-${codec}`))).toEqual([`restored-${codec}.sqlite`]);
      expect(integrity(target)).toBe("ok");
      expect(await engine.fingerprint({ path: target })).toEqual(fingerprint);
      expect(await engine.fingerprint({ path: source })).toEqual(fingerprint);
      expect(fingerprint.items.awkward!.rows).toBe(9);
      expect(fingerprint.items.kv!.rows).toBe(2000);
      // The values themselves, read back.
      const db = new Database(target, { readonly: true });
      const rows = db.prepare("SELECT v FROM awkward ORDER BY id").safeIntegers(true).pluck().all();
      db.close();
      expect(rows.slice(0, 5)).toEqual([null, "", Buffer.alloc(0), EVERY_BYTE, "😀𝄞\u{10FFFF}"]);
      expect((rows[5] as string).length).toBe(3 * 1024 * 1024);
      expect(rows[6]).toBe(9007199254740993n);
    }, 60_000);
  }

  it("leaves no temp copy behind, and the copy it made was private (0600 in a 0700 dir)", async () => {
    const dump = await engine.dump({ path: source });
    // The first bytes flow once the snapshot is complete: the copy exists now.
    await once(dump.stdout, "readable");
    const dir = fs.readdirSync(path.join(tmp, "engine-tmp")).find((f) => f.startsWith("holdfast-sqlite-"))!;
    expect(fs.statSync(path.join(tmp, "engine-tmp", dir)).mode & 0o777).toBe(0o700);
    const copy = path.join(tmp, "engine-tmp", dir, "snapshot.sqlite");
    expect(fs.statSync(copy).mode & 0o777).toBe(0o600);
    dump.stdout.resume();
    await dump.done;
    expect(fs.readdirSync(path.join(tmp, "engine-tmp"))).toEqual([]);
  });

  it("refuses a non-empty target without overwrite; with overwrite replaces it and removes its stale -wal/-shm", async () => {
    const { artifact } = await backup(source, "gzip", "run_over");
    const target = path.join(tmp, "existing.sqlite");
    const old = new Database(target);
    old.pragma("journal_mode = WAL");
    old.exec("CREATE TABLE old_stuff (x); INSERT INTO old_stuff VALUES (1);");
    // Kill-style leftovers: a -wal with frames and a -shm, as a crashed application leaves them.
    fs.copyFileSync(target + "-wal", path.join(tmp, "saved-wal"));
    old.close();
    fs.copyFileSync(path.join(tmp, "saved-wal"), target + "-wal");
    fs.writeFileSync(target + "-shm", Buffer.alloc(32768));
    fs.chmodSync(target, 0o640);
    const before = fs.readFileSync(target);

    const refused = await engine.restore(fs.createReadStream(artifact.stagingPath), { path: target }, { format: "sqlite", codec: "gzip" }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: "RESTORE_TARGET_NOT_EMPTY", status: 409, details: { path: target } });
    expect((refused as Error).message).toContain("send options.overwrite: true to replace them");
    expect(fs.readFileSync(target).equals(before)).toBe(true);
    expect(fs.existsSync(target + "-wal")).toBe(true);

    const result = await engine.restore(fs.createReadStream(artifact.stagingPath), { path: target }, { format: "sqlite", codec: "gzip", overwrite: true });
    expect(result.warnings).toEqual([`Removed ${target}-wal of the replaced database`, `Removed ${target}-shm of the replaced database`]);
    expect(integrity(target)).toBe("ok");
    expect(fs.statSync(target).mode & 0o777).toBe(0o640);
    expect(Object.keys((await engine.fingerprint({ path: target })).items).sort()).toEqual(["awkward", "kv"]);
  }, 60_000);

  it("an artifact that is not a database fails at stage verify and leaves the old database untouched", async () => {
    const target = path.join(tmp, "keep.sqlite");
    fs.copyFileSync(source, target);
    const before = fs.readFileSync(target);
    const garbage = path.join(tmp, "garbage.sqlite.gz");
    fs.writeFileSync(garbage, zlib.gzipSync(Buffer.alloc(64 * 1024, 7)));
    const err = await engine.restore(fs.createReadStream(garbage), { path: target }, { format: "sqlite", codec: "gzip", overwrite: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "verify", reason: "not_a_database" } });
    expect(fs.readFileSync(target).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp).filter((f) => f.includes("keep.sqlite"))).toEqual(["keep.sqlite"]);
  });

  it("a database with a corrupted page fails at stage verify (integrity_check), a truncated gzip at decompress", async () => {
    const { artifact } = await backup(source, "none", "run_corrupt");
    const bytes = Buffer.from(fs.readFileSync(artifact.stagingPath));
    // Page 2 onwards (page size 4096): wreck a b-tree page, keep the header intact.
    for (let i = 4096 * 2; i < 4096 * 2 + 200; i++) bytes[i] = 0xff;
    const bad = path.join(tmp, "corrupt.sqlite");
    fs.writeFileSync(bad, bytes);
    const err = await engine.restore(fs.createReadStream(bad), { path: path.join(tmp, "fresh1.sqlite") }, { format: "sqlite", codec: "none" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "verify", reason: "corrupt" } });
    expect(fs.existsSync(path.join(tmp, "fresh1.sqlite"))).toBe(false);

    const gz = zlib.gzipSync(fs.readFileSync(source));
    const cut = path.join(tmp, "cut.sqlite.gz");
    fs.writeFileSync(cut, gz.subarray(0, gz.length >> 1));
    const err2 = await engine.restore(fs.createReadStream(cut), { path: path.join(tmp, "fresh2.sqlite") }, { format: "sqlite", codec: "gzip" }).catch((e: unknown) => e);
    expect(err2).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "decompress" } });
    expect(fs.readdirSync(tmp).filter((f) => f.includes("fresh"))).toEqual([]);
  });

  it("a source whose pages are damaged fails the dump DUMP_FAILED (reason corrupt) and stages nothing", async () => {
    const damaged = path.join(tmp, "damaged.sqlite");
    const db = new Database(damaged);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v);");
    const ins = db.prepare("INSERT INTO t (v) VALUES (?)");
    db.transaction(() => {
      for (let i = 0; i < 5000; i++) ins.run(`value-${i}`);
    })();
    const indexRoot = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 't_v'").pluck().get() as number;
    db.close();
    // The index's root page gets an invalid b-tree header: the backup copies pages as they are, the check must catch it.
    const bytes = fs.readFileSync(damaged);
    const at = (indexRoot - 1) * 4096;
    bytes.fill(0x41, at, at + 12);
    fs.writeFileSync(damaged, bytes);
    const runDir = fs.mkdtempSync(path.join(tmp, "run-"));
    const dump = await engine.dump({ path: damaged });
    const err = await runPipeline({ dump, runDir, runId: "run_damaged", clock: new ManualClock(), compression: { codec: "gzip", level: 1 }, extension: ".sqlite.gz" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "DUMP_FAILED", details: { reason: "corrupt", stage: "check", path: damaged } });
    expect(fs.readdirSync(runDir)).toEqual([]);
  });

  it("refuses a target that is a symlink (RESTORE_FAILED, stage target) or in a missing folder (DATABASE_NOT_FOUND)", async () => {
    const link = path.join(tmp, "link.sqlite");
    fs.symlinkSync(source, link);
    const { artifact } = await backup(source, "none", "run_link");
    const restore = (target: string) => engine.restore(fs.createReadStream(artifact.stagingPath), { path: target }, { format: "sqlite", codec: "none", overwrite: true }).catch((e: unknown) => e);
    expect(await restore(link)).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "target" } });
    const inMissing = path.join(tmp, "no-such-dir", "x.sqlite");
    expect(await restore(inMissing)).toMatchObject({ code: "DATABASE_NOT_FOUND", status: 422, details: { stage: "target", path: inMissing } });
    expect(fs.readlinkSync(link)).toBe(source);
  });

  it("drill hooks: a scratch path that restores and drops with its companions", async () => {
    const { artifact, fingerprint } = await backup(source, "zstd", "run_drill");
    const scratch = await engine.createScratch({ path: source }, "drill_1");
    expect(path.dirname(scratch.connection.path)).toContain("holdfast-drill-drill_1-");
    await engine.restore(fs.createReadStream(artifact.stagingPath), scratch.connection, { format: "sqlite", codec: "zstd" });
    expect(await engine.fingerprint(scratch.connection)).toEqual(fingerprint);
    expect(fs.existsSync(scratch.connection.path + "-wal")).toBe(true); // left by the read-only fingerprint
    await scratch.drop();
    expect(fs.existsSync(path.dirname(scratch.connection.path))).toBe(false);
  }, 60_000);
});
