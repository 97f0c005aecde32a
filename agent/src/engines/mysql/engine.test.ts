import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HoldfastError, type MysqlConnection } from "@holdfast/shared";
import { runPipeline } from "../../pipeline/run-pipeline.js";
import { makeTempDir, ManualClock, uniqueName } from "../../testing/helpers.js";
import { MysqlEngine } from "./engine.js";
import { endsWithTrailer } from "./dump.js";
import { createDb, dropDb, MY, myConn, mysqlRoot, quoteIdent, writeStandIn } from "../../testing/mysql-server.js";

async function dumpToText(engine: MysqlEngine, c: MysqlConnection): Promise<string> {
  const handle = await engine.dump(c);
  const [out] = await Promise.all([text(handle.stdout), handle.done]);
  return out;
}

/** Nothing of the per-run credentials may stay behind. */
function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => n.startsWith("holdfast-my-"));
}

describe("MysqlEngine against a real MariaDB", () => {
  const tmp = makeTempDir("myengine");
  const engine = new MysqlEngine({ tmpDir: tmp });
  const plain = uniqueName("hf_my_engine");
  const hostileNames = [uniqueName("$(id) `x` y"), `--file=${tmp}/pwned_${uniqueName("o")}`, uniqueName("semi;colon \\ back")];
  const user = uniqueName("hf_my_user");
  const password = `pw "#\\${uniqueName("x")}`;

  beforeAll(() => {
    createDb(plain);
    mysqlRoot("CREATE TABLE t1 (id INT PRIMARY KEY, v VARCHAR(10)); INSERT INTO t1 VALUES (1, 'a'), (2, 'b'); CREATE TABLE t2 (id INT);", plain);
    for (const name of hostileNames) {
      createDb(name);
      mysqlRoot("CREATE TABLE marker_table (id INT);", name);
    }
    mysqlRoot(`CREATE USER '${user}'@'${MY.host}' IDENTIFIED BY '${password.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'; GRANT ALL ON \`${plain}\`.* TO '${user}'@'${MY.host}';`);
  });

  afterAll(() => {
    for (const name of [plain, ...hostileNames]) dropDb(name);
    mysqlRoot(`DROP USER IF EXISTS '${user}'@'${MY.host}';`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("reports the dump tool's version", async () => {
    expect(await engine.toolVersion()).toMatch(/^(mariadb-dump|mysqldump)\s+Ver /);
  });

  it("tests a connection: server version and number, size, tables, latency", async () => {
    const r = await engine.testConnection(myConn(plain));
    expect(r.serverVersion).toMatch(/^(MariaDB|MySQL) \d+\.\d+\.\d+/);
    expect(r.serverVersionNum).toBeGreaterThan(50_000);
    expect(r.tablesCount).toBe(2);
    expect(r.databaseSizeBytes).toBeGreaterThan(0);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    expect(leftovers(tmp)).toEqual([]);
  });

  it("lists the databases, odd names included, without the server's own schemas", async () => {
    const items = await engine.listDatabases(myConn(plain));
    const names = items.map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining([plain, ...hostileNames]));
    for (const system of ["information_schema", "performance_schema", "mysql", "sys"]) expect(names).not.toContain(system);
    expect(items.find((i) => i.name === plain)?.sizeBytes).toBeGreaterThan(0);
  });

  it("dumps databases named `$(id) `x``, `--file=...` and with `;` and `\\` as plain names", async () => {
    for (const name of hostileNames) {
      const out = await dumpToText(engine, myConn(name));
      expect(out).toContain("CREATE TABLE `marker_table`");
      expect(endsWithTrailer(Buffer.from(out.slice(-200)))).toBe(true);
    }
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith("pwned"))).toEqual([]);
  });

  it("authenticates with a password holding quotes, # and a backslash; a wrong one is DATABASE_AUTH_FAILED, redacted", async () => {
    await expect(engine.testConnection(myConn(plain, { username: user, password }))).resolves.toHaveProperty("tablesCount", 2);
    expect(await dumpToText(engine, myConn(plain, { username: user, password }))).toContain("INSERT INTO `t1` VALUES");

    const wrong = `${password}-wrong`;
    const err = (await engine.testConnection(myConn(plain, { username: user, password: wrong })).catch((e: unknown) => e)) as HoldfastError;
    expect(err).toBeInstanceOf(HoldfastError);
    expect(err.code).toBe("DATABASE_AUTH_FAILED");
    expect(String(err.details?.stderr)).toMatch(/Access denied/);
    expect(JSON.stringify({ message: err.message, details: err.details })).not.toContain(wrong);

    const handle = await engine.dump(myConn(plain, { username: user, password: wrong }));
    handle.stdout.resume();
    const dumpErr = (await handle.done.catch((e: unknown) => e)) as HoldfastError;
    expect(dumpErr.code).toBe("DATABASE_AUTH_FAILED");
    expect(String(dumpErr.details?.stderr)).toMatch(/Access denied/);
    expect(JSON.stringify(dumpErr.details)).not.toContain(wrong);
    expect(leftovers(tmp)).toEqual([]);
  });

  it("reads passwordFile at run time", async () => {
    const file = path.join(tmp, "pw.txt");
    fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
    await expect(engine.testConnection(myConn(plain, { username: user, passwordFile: file }))).resolves.toHaveProperty("tablesCount", 2);
    fs.chmodSync(file, 0o644);
    await expect(engine.testConnection(myConn(plain, { username: user, passwordFile: file }))).rejects.toMatchObject({ code: "DB_CONNECTION_TEST_FAILED" });
  });

  it("ignores the agent user's ~/.my.cnf and MYSQL_* variables (the tools get no HOME and a minimal environment)", async () => {
    const home = path.join(tmp, "home");
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, ".my.cnf"), "[client]\nuser=evil_user\npassword=evil\nport=1\n");
    const saved = { HOME: process.env.HOME, MYSQL_TCP_PORT: process.env.MYSQL_TCP_PORT, MYSQL_PWD: process.env.MYSQL_PWD };
    Object.assign(process.env, { HOME: home, MYSQL_TCP_PORT: "1", MYSQL_PWD: "evil" });
    try {
      await expect(engine.testConnection(myConn(plain, { username: user, password }))).resolves.toHaveProperty("tablesCount", 2);
      expect(await dumpToText(engine, myConn(plain))).toContain("CREATE TABLE `t1`");
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("answers an unreachable port with DATABASE_UNREACHABLE and the client's stderr", async () => {
    const err = (await engine.testConnection({ ...myConn(plain), port: 1 }).catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("DATABASE_UNREACHABLE");
    expect(String(err.details?.stderr)).toMatch(/Can't connect|Connection refused/);
    await expect(engine.listDatabases({ ...myConn(plain), port: 1 })).rejects.toMatchObject({ code: "DATABASE_UNREACHABLE" });
  });

  it("fails a dump of an unknown database with DATABASE_NOT_FOUND after the tool exited", async () => {
    const handle = await engine.dump(myConn(uniqueName("hf_no_such_db")));
    handle.stdout.resume();
    const err = (await handle.done.catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("DATABASE_NOT_FOUND");
    expect(String(err.details?.stderr)).toMatch(/Unknown database/);
  });

  it("TLS: prefer and disable connect to this TLS-less server; require and verify-* refuse it rather than fall back", async () => {
    // The test server has no TLS (have_ssl DISABLED), which is what makes the refusal observable.
    if (mysqlRoot("SELECT @@have_ssl") === "YES") return;
    for (const mode of ["prefer", "disable"] as const) {
      await expect(engine.testConnection(myConn(plain, { tls: { mode } }))).resolves.toHaveProperty("tablesCount", 2);
    }
    for (const mode of ["require", "verify-ca", "verify-full"] as const) {
      const err = await engine.testConnection(myConn(plain, { tls: { mode } })).catch((e: unknown) => e);
      expect(err, mode).toMatchObject({ code: "DB_CONNECTION_TEST_FAILED", details: { stderr: expect.stringMatching(/SSL|TLS/) } });
    }
    const handle = await engine.dump(myConn(plain, { tls: { mode: "require" } }));
    handle.stdout.resume();
    await expect(handle.done).rejects.toMatchObject({ code: "DUMP_FAILED" });
  });

  it("stops a running dump on abort(): DUMP_FAILED, nothing left behind", async () => {
    mysqlRoot(`CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(200)); INSERT INTO big SELECT seq, REPEAT('x', 200) FROM seq_1_to_200000;`, plain);
    try {
      const handle = await engine.dump(myConn(plain));
      // Read nothing: once the tool has written, it blocks on a full pipe, and is stopped.
      await once(handle.stdout, "readable");
      expect(handle.abort()).toBe(true);
      handle.stdout.resume();
      await expect(handle.done).rejects.toMatchObject({ code: "DUMP_FAILED", details: { signal: "SIGTERM" } });
      expect(handle.abort()).toBe(false);
      expect(leftovers(tmp)).toEqual([]);
    } finally {
      mysqlRoot(`DROP TABLE ${quoteIdent("big")};`, plain);
    }
  });
});

describe("MysqlEngine with stand-in tools", () => {
  const tmp = makeTempDir("mystandin");
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const conn = (over: Partial<MysqlConnection> = {}): MysqlConnection => ({ host: "127.0.0.1", port: 3306, database: "shop", username: "u", password: 'se"cret#1', ...over });
  const VERSION = "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)";
  // The stand-in lists tables through a client; none is needed without table filters.
  const CLIENT = "/bin/false";

  it("answers TOOL_NOT_FOUND (and toolVersion null) when the tools are missing", async () => {
    const engine = new MysqlEngine({ tmpDir: tmp, dumpPath: path.join(tmp, "no-such-dump"), clientPath: path.join(tmp, "no-such-client") });
    expect(await engine.toolVersion()).toBeNull();
    await expect(engine.dump(conn())).rejects.toMatchObject({ code: "TOOL_NOT_FOUND", status: 503 });
    await expect(engine.testConnection(conn())).rejects.toMatchObject({ code: "TOOL_NOT_FOUND" });
    await expect(engine.listDatabases(conn())).rejects.toMatchObject({ code: "TOOL_NOT_FOUND" });
    await expect(engine.restore(fs.createReadStream(__filename), conn(), { format: "plain", codec: "none" })).rejects.toMatchObject({ code: "TOOL_NOT_FOUND" });
    expect(leftovers(tmp)).toEqual([]);
  });

  it("gives the tool its credentials only in a 0600 options file (first argument, 0700 dir), removed after it exits", async () => {
    const record = path.join(tmp, "record");
    const bin = writeStandIn(tmp, "dump-recorder", VERSION, [
      'f="${1#--defaults-extra-file=}"',
      `{ printf '%s\\n' "$@"; echo "====="; stat -c '%a' "$f"; stat -c '%a' "$(dirname "$f")"; cat "$f"; env; } > ${JSON.stringify(record)}`,
      'echo "-- stand-in dump"',
      'echo "-- Dump completed on 2026-01-01  0:00:00"',
    ]);
    const engine = new MysqlEngine({ tmpDir: tmp, dumpPath: bin, clientPath: CLIENT });
    const handle = await engine.dump(conn());
    const [out] = await Promise.all([text(handle.stdout), handle.done]);
    expect(out).toContain("stand-in dump");
    const [argv, rest] = fs.readFileSync(record, "utf8").split("\n=====\n") as [string, string];
    const args = argv.split("\n");
    expect(args[0]).toMatch(/^--defaults-extra-file=.*\/holdfast-my-[^/]+\/client\.cnf$/);
    expect(args.slice(-2)).toEqual(["--", "shop"]);
    expect(argv).not.toContain("se\"cret");
    const [fileMode, dirMode, ...content] = rest.split("\n");
    expect(fileMode).toBe("600");
    expect(dirMode).toBe("700");
    expect(content.slice(0, 2)).toEqual(["[client]", 'password="se\\"cret#1"']);
    // The environment carries no password (no MYSQL_PWD) and nothing of the agent's own.
    expect(content.join("\n")).not.toMatch(/MYSQL_PWD|HOLDFAST_/);
    expect(fs.existsSync(args[0]!.slice("--defaults-extra-file=".length))).toBe(false);
    expect(leftovers(tmp)).toEqual([]);
  });

  it("fails a dump that exits 0 without the `-- Dump completed` trailer: no artifact is committed", async () => {
    const bin = writeStandIn(tmp, "dump-cut", VERSION, ['echo "-- MariaDB dump"', 'echo "INSERT INTO t VALUES (1);"', "exit 0"]);
    const engine = new MysqlEngine({ tmpDir: tmp, dumpPath: bin, clientPath: CLIENT });
    const runDir = fs.mkdtempSync(path.join(tmp, "run-"));
    const err = await runPipeline({ dump: await engine.dump(conn()), runDir, runId: "run_cut", clock: new ManualClock(), compression: { codec: "gzip", level: 1 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "DUMP_FAILED", message: expect.stringContaining("Dump completed") });
    expect(fs.readdirSync(runDir)).toEqual([]);
  });

  it("fails a tool that dies halfway (killed) with DUMP_FAILED and its stderr, redacted; no artifact", async () => {
    const bin = writeStandIn(tmp, "dump-dies", VERSION, [
      'echo "-- MariaDB dump"',
      "head -c 300000 /dev/zero | tr '\\0' 'x'",
      `echo "connecting with password se\\"cret#1 failed halfway" >&2`,
      "kill -9 $$",
    ]);
    const engine = new MysqlEngine({ tmpDir: tmp, dumpPath: bin, clientPath: CLIENT });
    const runDir = fs.mkdtempSync(path.join(tmp, "run-"));
    const err = (await runPipeline({ dump: await engine.dump(conn()), runDir, runId: "run_dies", clock: new ManualClock(), compression: { codec: "zstd", level: 1 } }).catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("DUMP_FAILED");
    expect(err.details).toMatchObject({ signal: "SIGKILL" });
    expect(String(err.details?.stderr)).toContain("failed halfway");
    expect(String(err.details?.stderr)).not.toContain('se"cret#1');
    expect(fs.readdirSync(runDir)).toEqual([]);
    expect(leftovers(tmp)).toEqual([]);
  });

  it("tells a dump that ends with the trailer from one that does not", () => {
    expect(endsWithTrailer(Buffer.from("...\n-- Dump completed on 2026-11-24  7:14:26\n"))).toBe(true);
    expect(endsWithTrailer(Buffer.from("...\n-- Dump completed\n"))).toBe(true);
    expect(endsWithTrailer(Buffer.from("-- Dump completed on 2026\nINSERT INTO t VALUES (1);\n"))).toBe(false);
    expect(endsWithTrailer(Buffer.from("INSERT INTO t VALUES ('-- Dump completed');\n"))).toBe(false);
  });
});
