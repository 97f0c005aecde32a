import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { Readable } from "node:stream";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { HoldfastError, MongoConnection } from "@holdfast/shared";
import { runPipeline } from "../../pipeline/run-pipeline.js";
import { makeTempDir, ManualClock } from "../../testing/helpers.js";
import { MongoEngine } from "./engine.js";
import { buildArchive } from "../../testing/mongo-archive.js";

const PASSWORD = 'mongo "pw" #1';

/**
 * Stand-in MongoDB tools (shell scripts): mongodump records its argv and its config file (mode,
 * dir mode, content) per `--db`, then writes `<db>.archive` from the fixtures dir; `<db>.hang` makes
 * it hang afterwards, `<db>.fail` makes it fail as a refused login does (with the password on stderr),
 * `<db>.refused` as a closed port does, `<db>.broken` fail otherwise (password on stderr again),
 * `<db>.silent` say nothing. mongorestore records
 * its argv and stdin.
 */
function writeStandIns(dir: string): { mongodump: string; mongorestore: string } {
  const q = (p: string) => JSON.stringify(path.join(dir, p));
  const d = JSON.stringify(`${dir}/`);
  const mongodump = path.join(dir, "mongodump");
  fs.writeFileSync(
    mongodump,
    [
      "#!/bin/sh",
      'if [ "$1" = "--version" ]; then echo "mongodump version: 100.9.4"; echo "git version: standin"; exit 0; fi',
      'f=""; db=all',
      'for a in "$@"; do case "$a" in --config=*) f="${a#--config=}";; --db=*) db="${a#--db=}";; esac; done',
      `{ printf '%s\\n' "$@"; echo =====; if [ -n "$f" ]; then stat -c '%a' "$f"; stat -c '%a' "$(dirname "$f")"; cat "$f"; fi; env; } > ${q("record.dump.")}"$db"`,
      `if [ -f ${d}"$db.fail" ]; then echo ${JSON.stringify(`2026-01-01T00:00:00.000+0000\tFailed: can't create session: failed to connect to mongodb://127.0.0.1:27017/: connection() error occurred during connection handshake: auth error: sasl conversation error: unable to authenticate using mechanism "SCRAM-SHA-256": (AuthenticationFailed) Authentication failed. (${PASSWORD})`).replace(/\$/g, "\\$")} >&2; exit 1; fi`,
      `if [ -f ${d}"$db.broken" ]; then echo "Failed: error reading collection: (InternalError) cursor lost ${PASSWORD.replace(/"/g, '\\"')}" >&2; exit 1; fi`,
      `if [ -f ${d}"$db.refused" ]; then echo "2026-01-01T00:00:00.000+0000	Failed: can't create session: could not connect to server: server selection error: server selection timeout, current topology: { Type: Single, Servers: [{ Addr: 127.0.0.1:27017, Type: Unknown, Last error: dial tcp 127.0.0.1:27017: connect: connection refused }, ] }" >&2; exit 1; fi`,
      `if [ -f ${d}"$db.silent" ]; then exec sleep 300; fi`,
      `cat ${d}"$db.archive"`,
      `if [ -f ${d}"$db.hang" ]; then exec sleep 300; fi`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const mongorestore = path.join(dir, "mongorestore");
  fs.writeFileSync(
    mongorestore,
    [
      "#!/bin/sh",
      'if [ "$1" = "--version" ]; then echo "mongorestore version: 100.9.4"; exit 0; fi',
      `printf '%s\\n' "$@" > ${q("record.restore")}`,
      `cat > ${q("restore.stdin")}`,
      `if [ -f ${q("restore.fail")} ]; then echo "Failed: E11000 duplicate key" >&2; exit 1; fi`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return { mongodump, mongorestore };
}

describe("MongoEngine with stand-in tools (no MongoDB here: argument building, config file, gating)", () => {
  const tmp = makeTempDir("mongo");
  const fixtures = path.join(tmp, "fx");
  fs.mkdirSync(fixtures);
  const tools = writeStandIns(fixtures);
  const engine = new MongoEngine({ tmpDir: tmp, mongodumpPath: tools.mongodump, mongorestorePath: tools.mongorestore, probeTimeoutMs: 1500 });
  const conn = (over: Partial<MongoConnection> = {}): MongoConnection => ({ host: "127.0.0.1", port: 27017, database: "shop", username: "backup", authDatabase: "admin", password: PASSWORD, ...over });
  const fixture = (name: string, content: Buffer | string = "") => fs.writeFileSync(path.join(fixtures, name), content);
  const record = (name: string) => fs.readFileSync(path.join(fixtures, name), "utf8");
  const leftovers = () => fs.readdirSync(tmp).filter((n) => n.startsWith("holdfast-mongo-"));
  const prodArchive = buildArchive([{ db: "prod", collection: "orders", size: 4000 }, { db: "prod", collection: "users", size: 96 }]);

  beforeEach(() => {
    for (const f of fs.readdirSync(fixtures)) if (!["mongodump", "mongorestore"].includes(f)) fs.rmSync(path.join(fixtures, f));
    fixture("shop.archive", buildArchive([]));
    fixture("prod.archive", prodArchive);
    fixture("all.archive", buildArchive([{ db: "prod", collection: "orders", size: 4000 }, { db: "crm", collection: "leads", size: 7 }, { db: "admin", collection: "system.users", size: 3 }]));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("is gated on the tools: toolVersion null and TOOL_NOT_FOUND everywhere when mongodump/mongorestore are missing", async () => {
    const missing = new MongoEngine({ tmpDir: tmp, mongodumpPath: path.join(tmp, "nope", "mongodump"), mongorestorePath: path.join(tmp, "nope", "mongorestore") });
    expect(missing.toolName).toBe("mongodump");
    expect(await missing.toolVersion()).toBeNull();
    await expect(missing.testConnection(conn())).rejects.toMatchObject({ code: "TOOL_NOT_FOUND", status: 503 });
    await expect(missing.listDatabases(conn())).rejects.toMatchObject({ code: "TOOL_NOT_FOUND" });
    const handle = await missing.dump(conn());
    handle.stdout.resume();
    await expect(handle.done).rejects.toMatchObject({ code: "TOOL_NOT_FOUND" });
    await expect(missing.restore(Readable.from([prodArchive]), conn(), { format: "archive", codec: "none" })).rejects.toMatchObject({ code: "TOOL_NOT_FOUND" });
    expect(leftovers()).toEqual([]);
    expect(await engine.toolVersion()).toBe("mongodump version: 100.9.4");
  });

  it("tests a connection from mongodump's prelude, stopping it there; the password only ever in a 0600 --config file", async () => {
    fixture("prod.hang");
    const r = await engine.testConnection(conn({ database: "prod" }));
    expect(r).toMatchObject({ serverVersion: "MongoDB 7.0.5", serverVersionNum: 70005, tablesCount: 2, databaseSizeBytes: 4096 });
    const [argv, rest] = record("record.dump.prod").split("\n=====\n") as [string, string];
    const args = argv.split("\n");
    expect(args[0]).toMatch(/^--config=.*\/holdfast-mongo-[^/]+\/tools\.yaml$/);
    expect(args).toEqual(expect.arrayContaining(["--host=127.0.0.1", "--port=27017", "--username=backup", "--authenticationDatabase=admin", "--db=prod", "--archive"]));
    expect(argv).not.toContain("pw");
    const [fileMode, dirMode, config, ...env] = rest.split("\n");
    expect([fileMode, dirMode]).toEqual(["600", "700"]);
    expect(config).toBe('password: "mongo \\"pw\\" #1"');
    expect(env.join("\n")).not.toMatch(/HOLDFAST_/);
    expect(env.join("\n")).not.toContain(PASSWORD);
    expect(fs.existsSync(args[0]!.slice("--config=".length))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it("reports a refused login as DATABASE_AUTH_FAILED (password redacted), a refused connection and silence as DATABASE_UNREACHABLE", async () => {
    fixture("shop.fail");
    const err = (await engine.testConnection(conn()).catch((e: unknown) => e)) as HoldfastError;
    expect(err.toBody()).toMatchObject({ code: "DATABASE_AUTH_FAILED", retryable: false, message: expect.stringContaining("(AuthenticationFailed) Authentication failed") });
    expect(String(err.details?.stderr)).toContain("AuthenticationFailed");
    expect(JSON.stringify(err.toBody())).not.toContain("pw");
    const dump = await engine.dump(conn());
    dump.stdout.resume();
    await expect(dump.done).rejects.toMatchObject({ code: "DATABASE_AUTH_FAILED" });
    fs.rmSync(path.join(fixtures, "shop.fail"));
    fixture("shop.refused");
    await expect(engine.testConnection(conn())).rejects.toMatchObject({ code: "DATABASE_UNREACHABLE", retryable: true, message: expect.stringContaining("connection refused") });
    fs.rmSync(path.join(fixtures, "shop.refused"));
    fixture("shop.silent");
    // "did not answer" is our own timeout's message: the tool's silence was cut off, not waited out.
    await expect(engine.testConnection(conn())).rejects.toMatchObject({ code: "DATABASE_UNREACHABLE", message: expect.stringContaining("did not answer") });
  });

  it("lists the databases that hold collections, with sizes, without the system ones", async () => {
    expect(await engine.listDatabases(conn())).toEqual([
      { name: "crm", sizeBytes: 7 },
      { name: "prod", sizeBytes: 4000 },
    ]);
    expect(record("record.dump.all")).not.toContain("--db=");
  });

  it("dumps the archive byte for byte through the pipeline; a failing mongodump is DUMP_FAILED with no artifact", async () => {
    const runDir = fs.mkdtempSync(path.join(tmp, "run-"));
    const artifact = await runPipeline({ dump: await engine.dump(conn({ database: "prod" })), runDir, runId: "run_m", clock: new ManualClock(), compression: { codec: "gzip", level: 1 }, extension: ".archive.gz" });
    expect(zlib.gunzipSync(fs.readFileSync(artifact.stagingPath)).equals(prodArchive)).toBe(true);
    fixture("prod.broken");
    const failDir = fs.mkdtempSync(path.join(tmp, "run-"));
    const err = (await runPipeline({ dump: await engine.dump(conn({ database: "prod" })), runDir: failDir, runId: "run_f", clock: new ManualClock() }).catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("DUMP_FAILED");
    expect(JSON.stringify(err.details)).not.toContain("pw");
    expect(fs.readdirSync(failDir)).toEqual([]);
    expect(leftovers()).toEqual([]);
  });

  it("restores an archive of `prod` into the empty `shop`: renamed, whole stream fed, no --drop", async () => {
    await engine.restore(Readable.from([zlib.gzipSync(prodArchive)]), conn(), { format: "archive", codec: "gzip" });
    const args = record("record.restore").split("\n");
    expect(args[0]).toMatch(/^--config=/);
    expect(args).toEqual(expect.arrayContaining(["--archive", "--stopOnError", "--nsInclude=prod.*", "--nsFrom=prod.*", "--nsTo=shop.*"]));
    expect(args).not.toContain("--drop");
    expect(fs.readFileSync(path.join(fixtures, "restore.stdin")).equals(prodArchive)).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it("refuses a target holding collections (409) before mongorestore runs, and drops them with overwrite", async () => {
    fixture("shop.archive", buildArchive([{ db: "shop", collection: "old" }]));
    const err = await engine.restore(Readable.from([prodArchive]), conn(), { format: "archive", codec: "none" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RESTORE_TARGET_NOT_EMPTY", status: 409, details: { objects: 1 } });
    expect((err as Error).message).toContain("send options.overwrite: true to replace them");
    expect(fs.existsSync(path.join(fixtures, "record.restore"))).toBe(false);
    await engine.restore(Readable.from([prodArchive]), conn(), { format: "archive", codec: "none", overwrite: true });
    expect(record("record.restore").split("\n")).toContain("--drop");
  });

  it("stops before mongorestore on what is not an archive or holds several databases; maps a failing mongorestore to RESTORE_FAILED", async () => {
    const notArchive = await engine.restore(Readable.from([Buffer.from("-- MariaDB dump\n")]), conn(), { format: "archive", codec: "none" }).catch((e: unknown) => e);
    expect(notArchive).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "decompress" } });
    const several = buildArchive([{ db: "a", collection: "x" }, { db: "b", collection: "y" }]);
    await expect(engine.restore(Readable.from([several]), conn(), { format: "archive", codec: "none" })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect(fs.existsSync(path.join(fixtures, "record.restore"))).toBe(false);
    fixture("restore.fail");
    const failed = await engine.restore(Readable.from([prodArchive]), conn(), { format: "archive", codec: "none" }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "restore", stderr: expect.stringContaining("E11000") } });
    await expect(engine.restore(Readable.from([prodArchive]), conn(), { format: "plain", codec: "none" })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });
});
