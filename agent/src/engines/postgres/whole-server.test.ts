import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBackupOptions, type BackupOptions, type PostgresConnection } from "@holdfast/shared";
import { stageBackup } from "../../testing/engines.js";
import { createDatabase, dropDatabase, failureOf, makeTempDir, PG, psql, quoteIdent, uniqueName } from "../../testing/helpers.js";
import { membersOf, tarEntries } from "../../testing/server-tar.js";
import { WholeServerEngine } from "../whole-server.js";
import { PostgresEngine } from "./engine.js";
import { PostgresServer } from "./whole-server.js";

// Issue 19, "A whole server in one job", on the real server: other suites create databases on it at
// the same time, so every backup here chooses its databases by this suite's own prefix.
const prefix = uniqueName("hfws");
const ROLE = `${prefix}_owner`;
const SERVER: PostgresConnection = { ...PG, database: "*" };
const at = (database: string): PostgresConnection => ({ ...PG, database });

describe("a PostgreSQL whole server in one artifact", () => {
  const tmp = makeTempDir("whole-server");
  const pg = new PostgresEngine({ tmpDir: tmp, jobs: 2 });
  // Small entries, so the bigger databases are cut into several and joined again at restore.
  const engine = new WholeServerEngine(pg, new PostgresServer(pg), { partBytes: 64 * 1024 });
  const created: string[] = [];
  const make = (suffix: string) => {
    const name = `${prefix}_${suffix}`;
    created.push(name);
    createDatabase(name);
    return name;
  };
  // A name no file system or tar member could hold as it is.
  const a = `${prefix}_a`;
  const b = `${prefix}_b`;
  const c = `${prefix}_c / "odd" é`;
  const d = `${prefix}_d`;
  const fingerprint = (db: string) => pg.fingerprint(at(db));
  const backup = async (options: BackupOptions, runId: string) => {
    const resolved = resolveBackupOptions({ compression: { codec: "zstd" }, ...options }, "postgres", true);
    return stageBackup(engine, SERVER, resolved, { tmp, runId });
  };
  const restore = (file: string, opts: { databases?: { include?: string[]; exclude?: string[] }; rename?: Record<string, string>; globals?: boolean; overwrite?: boolean }) =>
    engine.restore(fs.createReadStream(file), SERVER, { format: "server", codec: "zstd", ...opts });

  beforeAll(() => {
    psql(`CREATE ROLE ${quoteIdent(ROLE)} NOLOGIN`);
    make("a");
    psql(`CREATE TABLE people (id int primary key, name text, born date); INSERT INTO people SELECT g, md5(g::text) || repeat('x', 100), date '2000-01-01' + g FROM generate_series(1, 3000) g; ALTER TABLE people OWNER TO ${quoteIdent(ROLE)}`, a);
    make("b");
    psql("CREATE SCHEMA shop; CREATE TABLE shop.orders (id bigint, total numeric(12,2), note text); INSERT INTO shop.orders SELECT g, g * 1.5, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, 500) g", b);
    make(`c / "odd" é`);
    psql("CREATE TABLE blobs (k text primary key, v bytea); INSERT INTO blobs VALUES ('a', '\\x00ff'), ('b', NULL)", c);
  });

  afterAll(() => {
    for (const db of created) dropDatabase(db);
    psql(`DROP ROLE IF EXISTS ${quoteIdent(ROLE)}`);
    psql(`DROP ROLE IF EXISTS ${quoteIdent(`${ROLE}_gone`)}`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  let first: string;
  let second: string;

  it("backs up the globals and every matching database as one tar whose manifest matches its members", async () => {
    const { artifact, dump } = await backup({ databases: { include: [`${prefix}_*`] } }, "run_ws1");
    first = artifact.stagingPath;
    expect(artifact.fileName).toBe("run_ws1.server.tar.zst");
    expect(dump.databases?.()).toEqual([a, b, c]);

    const entries = await tarEntries(first, "zstd");
    expect(entries[0]!.name).toBe("index.json");
    expect(entries.at(-1)!.name).toBe("manifest.json");
    const { digests, json } = membersOf(entries);
    const manifest = json["manifest.json"] as { serverVersion: string; globals: { member: string; sha256: string; sizeBytes: number; parts: number }; databases: { name: string; member: string; format: string; sha256: string; sizeBytes: number; parts: number }[] };
    expect(manifest.serverVersion).toMatch(/^PostgreSQL /);
    expect(manifest.databases.map((x) => [x.name, x.format])).toEqual([a, b, c].map((n) => [n, "custom"]));
    expect(manifest.databases[2]!.member).toBe(`databases/${prefix}_c%20%2F%20%22odd%22%20%C3%A9.dump`);
    // Every member as listed, byte for byte; the big one in several entries.
    for (const m of [manifest.globals, ...manifest.databases]) {
      const got = digests.find((x) => x.member === m.member)!;
      expect({ sha256: got.sha256, sizeBytes: got.sizeBytes, parts: got.parts }).toEqual({ sha256: m.sha256, sizeBytes: m.sizeBytes, parts: m.parts });
    }
    expect(digests.map((x) => x.member).sort()).toEqual([manifest.globals.member, ...manifest.databases.map((x) => x.member)].sort());
    expect(manifest.databases[0]!.parts).toBeGreaterThan(1);
    expect(digests.find((x) => x.member === "globals.sql")!.data.toString()).toContain(`CREATE ROLE ${ROLE}`);
    // pg_dump's custom format, not SQL text.
    expect(digests.find((x) => x.member === manifest.databases[1]!.member)!.data.subarray(0, 5).toString()).toBe("PGDMP");
  }, 120_000);

  it("picks up a database added since: the list is read at each run", async () => {
    make("d");
    psql("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 10)", d);
    const { dump, artifact } = await backup({ databases: { include: [`${prefix}_*`], exclude: [b] } }, "run_ws2");
    expect(dump.databases?.()).toEqual([a, c, d]);
    const { artifact: all } = await backup({ databases: { include: [`${prefix}_*`] } }, "run_ws3");
    second = all.stagingPath;
    expect((await tarEntries(second, "zstd")).some((e) => e.name.startsWith(`databases/${d}.dump.`))).toBe(true);
    expect(artifact.sizeBytes).toBeGreaterThan(0);
  }, 120_000);

  it("restores all four under new names, globals applied, every table equal and owned as in the source", async () => {
    const rename = Object.fromEntries([a, b, c, d].map((n, i) => [n, `${prefix}_r${i}`]));
    created.push(...Object.values(rename));
    // The role is gone from the server by its name (the source's table follows the rename): only the globals can bring it back.
    psql(`ALTER ROLE ${quoteIdent(ROLE)} RENAME TO ${quoteIdent(`${ROLE}_gone`)}`);
    const result = await restore(second, { rename, globals: true });
    expect(result.warnings.some((w) => w.startsWith("globals: "))).toBe(true);
    expect(psql(`SELECT count(*) FROM pg_roles WHERE rolname = '${ROLE}'`)).toBe("1");
    expect(psql(`SELECT tableowner FROM pg_tables WHERE tablename = 'people'`, rename[a])).toBe(ROLE);
    for (const n of [a, b, c, d]) expect(await fingerprint(rename[n]!)).toEqual(await fingerprint(n));
    expect((await fingerprint(rename[a]!)).items["public.people"]!.rows).toBe(3000);
  }, 180_000);

  it("restores one database only, creating nothing else", async () => {
    const into = `${prefix}_one`;
    created.push(into);
    const before = psql("SELECT count(*) FROM pg_database");
    await restore(first, { databases: { include: [b] }, rename: { [b]: into } });
    expect(await fingerprint(into)).toEqual(await fingerprint(b));
    expect(Number(psql("SELECT count(*) FROM pg_database"))).toBe(Number(before) + 1);
  }, 120_000);

  it("refuses non-empty targets before writing anything, and replaces them with overwrite", async () => {
    const into = `${prefix}_one`;
    psql("CREATE TABLE extra (x int)", into);
    const err = await failureOf(restore(first, { databases: { include: [b] }, rename: { [b]: into } }));
    expect(err.code).toBe("RESTORE_TARGET_NOT_EMPTY");
    expect(err.details).toMatchObject({ databases: [into] });
    expect(psql("SELECT count(*) FROM pg_tables WHERE tablename = 'extra'", into)).toBe("1");
    await restore(first, { databases: { include: [b] }, rename: { [b]: into }, overwrite: true });
    expect(await fingerprint(into)).toEqual(await fingerprint(b));
  }, 120_000);

  it("a `*` whose patterns match nothing fails NO_DATABASE_MATCHED in preflight and in the dump, and stages nothing", async () => {
    const none = { include: [`${prefix}_nothing_*`] };
    const resolved = resolveBackupOptions({ databases: none }, "postgres", true);
    const checked = await engine.preflight(SERVER, resolved);
    expect(checked.blockingIssues).toEqual([expect.objectContaining({ code: "NO_DATABASE_MATCHED" })]);
    const before = new Set(fs.readdirSync(tmp));
    const err = await failureOf(backup({ databases: none }, "run_none"));
    expect(err.code).toBe("NO_DATABASE_MATCHED");
    expect(err.details).toMatchObject({ field: "options.databases" });
    // The run dir the pipeline made holds nothing: no artifact, no partial file.
    const made = fs.readdirSync(tmp).filter((n) => !before.has(n) && n.startsWith("run-"));
    expect(made).toHaveLength(1);
    expect(fs.readdirSync(`${tmp}/${made[0]}`)).toEqual([]);
  }, 60_000);

  it("refuses restore choices that do not fit the backup before touching anything", async () => {
    expect((await failureOf(restore(first, { databases: { include: ["nothing_here"] } }))).code).toBe("NO_DATABASE_MATCHED");
    const unknown = await failureOf(restore(first, { databases: { include: [b] }, rename: { [a]: `${prefix}_x` } }));
    expect(unknown).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: `options.rename.${a}` }] } });
    const stream = fs.createReadStream(first).on("error", () => {});
    const single = await failureOf(engine.restore(stream, at(b), { format: "server", codec: "zstd" }));
    expect(single.code).toBe("VALIDATION_FAILED");
    expect(psql(`SELECT count(*) FROM pg_database WHERE datname = '${prefix}_x'`)).toBe("0");
  }, 60_000);
});
