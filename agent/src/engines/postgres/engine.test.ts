import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HoldfastError, type PostgresConnection } from "@holdfast/shared";
import { createDatabase, dropDatabase, makeTempDir, PG, psql, uniqueName } from "../../testing/helpers.js";
import { PostgresEngine } from "./engine.js";

const conn = (database: string, password?: string): PostgresConnection => ({ ...PG, database, ...(password ? { password } : {}) });

async function dumpToText(engine: PostgresEngine, c: PostgresConnection): Promise<string> {
  const handle = await engine.dump(c);
  const [out] = await Promise.all([text(handle.stdout), handle.done]);
  return out;
}

describe("PostgresEngine against a real server", () => {
  const tmp = makeTempDir("pg");
  const engine = new PostgresEngine({ tmpDir: tmp });
  const evilName = uniqueName("x' host=evil");
  const optionName = `--file=${tmp}/pwned`;
  const plain = uniqueName("hf_engine");

  beforeAll(() => {
    for (const name of [evilName, optionName, plain]) {
      dropDatabase(name);
      createDatabase(name);
    }
    psql("CREATE TABLE marker_evil (id int)", evilName);
    psql("CREATE TABLE marker_option (id int)", optionName);
  });

  afterAll(() => {
    for (const name of [evilName, optionName, plain]) dropDatabase(name);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("dumps a database literally named `x' host=evil_…` (the name never becomes a host keyword)", async () => {
    const out = await dumpToText(engine, conn(evilName));
    expect(out).toContain("CREATE TABLE public.marker_evil");
  });

  it("dumps a database named `--file=...` without pg_dump reading it as an option", async () => {
    const out = await dumpToText(engine, conn(optionName));
    expect(out).toContain("CREATE TABLE public.marker_option");
    expect(fs.existsSync(`${tmp}/pwned`)).toBe(false);
  });

  it("tests a connection: server version, size, latency", async () => {
    const r = await engine.testConnection(conn(plain));
    expect(r.serverVersion).toMatch(/^PostgreSQL \d+/);
    expect(r.databaseSizeBytes).toBeGreaterThan(0);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("reads server_version_num, and lists the databases (names with odd characters included) with their sizes", async () => {
    const r = await engine.testConnection(conn(plain));
    expect(r.serverVersionNum).toBe(Number(psql("SHOW server_version_num")));
    const items = await engine.listDatabases(conn("postgres"));
    const names = items.map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining([plain, evilName, optionName, "postgres"]));
    expect(names).not.toContain("template0");
    expect(names).not.toContain("template1");
    expect(items.find((i) => i.name === evilName)?.sizeBytes).toBeGreaterThan(0);
    // The configured database does not exist: the list comes through the maintenance database.
    expect((await engine.listDatabases(conn("hf_no_such_db_z"))).map((i) => i.name)).toEqual(expect.arrayContaining([plain, evilName, optionName, "postgres"]));
  });

  it("reports an unknown database as DATABASE_NOT_FOUND with the tool's stderr", async () => {
    const err = await engine.testConnection(conn("hf_no_such_db_x")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).code).toBe("DATABASE_NOT_FOUND");
    expect(String((err as HoldfastError).details?.stderr)).toContain("does not exist");
  });

  it("fails a dump of an unknown database with DATABASE_NOT_FOUND after the tool exited", async () => {
    const handle = await engine.dump(conn("hf_no_such_db_y"));
    handle.stdout.resume();
    const err = await handle.done.catch((e: unknown) => e);
    expect((err as HoldfastError).code).toBe("DATABASE_NOT_FOUND");
    expect((err as HoldfastError).details?.exitCode).not.toBe(0);
    expect(String((err as HoldfastError).details?.stderr)).toContain("does not exist");
  });

  it("reports a missing tool as TOOL_NOT_FOUND naming it", async () => {
    const missing = new PostgresEngine({ pgDumpPath: "/nonexistent/pg_dump", psqlPath: "/nonexistent/psql", tmpDir: tmp });
    const handle = await missing.dump(conn(plain));
    handle.stdout.resume();
    const err = await handle.done.catch((e: unknown) => e);
    expect((err as HoldfastError).code).toBe("TOOL_NOT_FOUND");
    expect((err as HoldfastError).details?.tool).toBe("pg_dump");
    const testErr = await missing.testConnection(conn(plain)).catch((e: unknown) => e);
    expect((testErr as HoldfastError).details).toEqual({ tool: "psql" });
    expect(await missing.toolVersion()).toBeNull();
    expect(await engine.toolVersion()).toMatch(/pg_dump \(PostgreSQL\) \d+/);
  });
});

describe("PostgresEngine password handling (a stand-in pg_dump reports what it saw)", () => {
  const tmp = makeTempDir("pgpass");
  const report = path.join(tmp, "report.txt");
  const fake = path.join(tmp, "fake-pg_dump");
  const password = "S3cr3t:pa\\ss-word";

  beforeAll(() => {
    fs.writeFileSync(
      fake,
      [
        "#!/bin/sh",
        `{`,
        `  echo "passfile_mode=$(stat -c %a "$PGPASSFILE")"`,
        `  echo "dir_mode=$(stat -c %a "$(dirname "$PGPASSFILE")")"`,
        `  echo "passfile=$PGPASSFILE"`,
        `  printf 'passfile_content=%s\\n' "$(cat "$PGPASSFILE")"`,
        `  for a in "$@"; do echo "arg=$a"; done`,
        `  env | sed 's/^/env=/'`,
        `} > ${JSON.stringify(report)}`,
        `echo "-- dump"`,
        // A tool that leaks the password on stderr must not leak it through us.
        `if [ "$FAIL" = "" ] && [ "$(echo "$@" | grep -c fail_me)" = "1" ]; then cat "$PGPASSFILE" >&2; exit 3; fi`,
        "exit 0",
      ].join("\n"),
      { mode: 0o755 },
    );
  });

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("puts the password only in a 0600 passfile inside a 0700 dir, gone once the tool exited", async () => {
    const engine = new PostgresEngine({ pgDumpPath: fake, tmpDir: tmp });
    const out = await dumpToText(engine, conn("anydb", password));
    expect(out).toContain("-- dump");
    const lines = fs.readFileSync(report, "utf8").split("\n");
    const get = (k: string) => lines.filter((l) => l.startsWith(`${k}=`)).map((l) => l.slice(k.length + 1));
    expect(get("passfile_mode")).toEqual(["600"]);
    expect(get("dir_mode")).toEqual(["700"]);
    expect(get("passfile_content")).toEqual(["*:*:*:*:S3cr3t\\:pa\\\\ss-word"]);
    const args = get("arg");
    expect(args).toHaveLength(3);
    expect(args.join("\n")).not.toContain("S3cr3t");
    const env = get("env");
    expect(env.join("\n")).not.toContain("S3cr3t");
    expect(env.some((e) => e.startsWith("PGPASSWORD"))).toBe(false);
    expect(env.some((e) => e.startsWith("HOLDFAST_"))).toBe(false);
    const passfile = get("passfile")[0]!;
    expect(passfile.startsWith(tmp)).toBe(true);
    expect(fs.existsSync(passfile)).toBe(false);
    expect(fs.existsSync(path.dirname(passfile))).toBe(false);
  });

  it("redacts the password from the stderr it reports, and still removes the passfile", async () => {
    const engine = new PostgresEngine({ pgDumpPath: fake, tmpDir: tmp });
    const handle = await engine.dump(conn("fail_me", password));
    handle.stdout.resume();
    const err = (await handle.done.catch((e: unknown) => e)) as HoldfastError;
    expect(err.code).toBe("DUMP_FAILED");
    expect(err.details?.exitCode).toBe(3);
    expect(JSON.stringify(err.toBody())).not.toContain("S3cr3t");
    expect(String(err.details?.stderr)).toContain("********");
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith("holdfast-pg-"))).toEqual([]);
  });
});

// Proves the stand-in above behaves like the real tool on argv shape: pg_dump accepts exactly these three.
it("real pg_dump accepts the argv shape we build", () => {
  const out = execFileSync("pg_dump", ["--dbname=host='127.0.0.1' dbname='postgres' user='postgres'", "--format=plain", "--no-password", "--schema-only"], {
    encoding: "utf8",
  });
  expect(out).toContain("PostgreSQL database dump");
});
