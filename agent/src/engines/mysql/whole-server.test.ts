import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBackupOptions, type BackupOptions, type MysqlConnection } from "@holdfast/shared";
import { stageBackup } from "../../testing/engines.js";
import { failureOf, makeTempDir, uniqueName } from "../../testing/helpers.js";
import { createDb, dropDb, MY, myConn, mysqlRoot, quoteIdent } from "../../testing/mysql-server.js";
import { membersOf, tarEntries } from "../../testing/server-tar.js";
import { WholeServerEngine } from "../whole-server.js";
import { MysqlEngine } from "./engine.js";
import { MysqlServer } from "./whole-server.js";

// Issue 19, "A whole server in one job", on the real MariaDB: other suites create databases on it at
// the same time, so every backup here chooses its databases by this suite's own prefix.
const prefix = uniqueName("hfws");
const USER = `${prefix}_u`;
const SERVER: MysqlConnection = { ...MY, database: "*" };
const literal = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

describe("a MariaDB whole server in one artifact", () => {
  const tmp = makeTempDir("whole-server-my");
  const my = new MysqlEngine({ tmpDir: tmp });
  const engine = new WholeServerEngine(my, new MysqlServer(my), { partBytes: 64 * 1024 });
  const created: string[] = [];
  const make = (name: string) => {
    created.push(name);
    createDb(name);
    return name;
  };
  const a = `${prefix}_a`;
  const b = `${prefix}_b`;
  const c = `${prefix}_c odd é`;
  const d = `${prefix}_d`;
  const fingerprint = (db: string) => my.fingerprint(myConn(db));
  const backup = async (options: BackupOptions, runId: string) => {
    const resolved = resolveBackupOptions({ compression: { codec: "gzip" }, ...options }, "mysql", true);
    return stageBackup(engine, SERVER, resolved, { tmp, runId });
  };
  const restore = (file: string, opts: { databases?: { include?: string[] }; rename?: Record<string, string>; globals?: boolean; overwrite?: boolean }) =>
    engine.restore(fs.createReadStream(file), SERVER, { format: "server", codec: "gzip", ...opts });

  beforeAll(() => {
    make(a);
    mysqlRoot("CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(200), born DATE); INSERT INTO people SELECT seq, CONCAT(MD5(seq), REPEAT('x', 100)), DATE('2000-01-01') + INTERVAL seq DAY FROM seq_1_to_3000;", a);
    make(b);
    mysqlRoot("CREATE TABLE orders (id BIGINT, total DECIMAL(12,2), note TEXT); INSERT INTO orders SELECT seq, seq * 1.5, IF(seq % 3 = 0, NULL, CONCAT('n', seq)) FROM seq_1_to_500; CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;", b);
    make(c);
    mysqlRoot("CREATE TABLE blobs (k VARCHAR(10) PRIMARY KEY, v BLOB); INSERT INTO blobs VALUES ('a', X'00FF'), ('b', NULL);", c);
    mysqlRoot(`CREATE USER ${literal(USER)}@'localhost' IDENTIFIED BY 'pw-${prefix}'; GRANT SELECT ON ${quoteIdent(a)}.* TO ${literal(USER)}@'localhost';`);
  });

  afterAll(() => {
    for (const db of created) dropDb(db);
    mysqlRoot(`DROP USER IF EXISTS ${literal(USER)}@'localhost';`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  let first: string;
  let second: string;

  it("backs up the users and every matching database as one tar whose manifest matches its members", async () => {
    const { artifact, dump } = await backup({ databases: { include: [`${prefix}_*`] } }, "run_my1");
    first = artifact.stagingPath;
    expect(artifact.fileName).toBe("run_my1.server.tar.gz");
    expect(dump.databases?.()).toEqual([a, b, c]);
    const { digests, json } = membersOf(await tarEntries(first, "gzip"));
    const manifest = json["manifest.json"] as { serverVersion: string; globals: { member: string; sha256: string; sizeBytes: number; parts: number }; databases: { name: string; member: string; format: string; sha256: string; sizeBytes: number; parts: number }[] };
    expect(manifest.serverVersion).toMatch(/^MariaDB /);
    expect(manifest.databases.map((x) => [x.name, x.format])).toEqual([a, b, c].map((n) => [n, "plain"]));
    for (const m of [manifest.globals, ...manifest.databases]) {
      const got = digests.find((x) => x.member === m.member)!;
      expect({ sha256: got.sha256, sizeBytes: got.sizeBytes, parts: got.parts }).toEqual({ sha256: m.sha256, sizeBytes: m.sizeBytes, parts: m.parts });
    }
    expect(manifest.databases[0]!.parts).toBeGreaterThan(1);
    expect(digests.find((x) => x.member === "globals.sql")!.data.toString()).toContain(`CREATE USER IF NOT EXISTS \`${USER}\`@\`localhost\``);
  }, 120_000);

  it("picks up a database added since: the list is read at each run", async () => {
    make(d);
    mysqlRoot("CREATE TABLE t (x INT); INSERT INTO t SELECT seq FROM seq_1_to_10;", d);
    const { dump, artifact } = await backup({ databases: { include: [`${prefix}_*`] } }, "run_my2");
    second = artifact.stagingPath;
    expect(dump.databases?.()).toEqual([a, b, c, d]);
  }, 120_000);

  it("restores all four under new names, users applied, every table equal", async () => {
    const rename = Object.fromEntries([a, b, c, d].map((n, i) => [n, `${prefix}_r${i}`]));
    created.push(...Object.values(rename));
    mysqlRoot(`DROP USER ${literal(USER)}@'localhost';`);
    await restore(second, { rename, globals: true });
    expect(mysqlRoot(`SELECT COUNT(*) FROM mysql.user WHERE User = ${literal(USER)};`)).toBe("1");
    for (const n of [a, b, c, d]) expect(await fingerprint(rename[n]!)).toEqual(await fingerprint(n));
    expect((await fingerprint(rename[a]!)).items["people"]!.rows).toBe(3000);
    expect(mysqlRoot(`SELECT COUNT(*) FROM ${quoteIdent(rename[b]!)}.big_orders;`)).toBe(mysqlRoot(`SELECT COUNT(*) FROM ${quoteIdent(b)}.big_orders;`));
  }, 180_000);

  it("restores one database only, refuses it again without overwrite, replaces it with", async () => {
    const into = `${prefix}_one`;
    created.push(into);
    await restore(first, { databases: { include: [b] }, rename: { [b]: into } });
    expect(await fingerprint(into)).toEqual(await fingerprint(b));
    expect(mysqlRoot(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${prefix}\\_%';`)).toBe(String(4 + 4 + 1));
    const err = await failureOf(restore(first, { databases: { include: [b] }, rename: { [b]: into } }));
    expect(err).toMatchObject({ code: "RESTORE_TARGET_NOT_EMPTY", details: { databases: [into] } });
    await restore(first, { databases: { include: [b] }, rename: { [b]: into }, overwrite: true });
    expect(await fingerprint(into)).toEqual(await fingerprint(b));
  }, 120_000);

  it("a `*` whose patterns match nothing is NO_DATABASE_MATCHED, in preflight and in the dump", async () => {
    const none = { include: [`${prefix}_nothing_*`] };
    const checked = await engine.preflight(SERVER, resolveBackupOptions({ databases: none }, "mysql", true));
    expect(checked.blockingIssues).toEqual([expect.objectContaining({ code: "NO_DATABASE_MATCHED" })]);
    expect((await failureOf(backup({ databases: none }, "run_my_none"))).code).toBe("NO_DATABASE_MATCHED");
  }, 60_000);
});
