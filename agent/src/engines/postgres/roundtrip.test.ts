import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBackupOptions, type BackupOptions, type Codec, type DumpFormat, type PostgresConnection } from "@holdfast/shared";
import { artifactExtension } from "../../pipeline/codec.js";
import { restoreTargetFor } from "../../restore/restore-target.js";
import { stageBackup } from "../../testing/engines.js";
import { createDatabase, dropDatabase, makeTempDir, PG, psql, uniqueName } from "../../testing/helpers.js";
import { PostgresEngine } from "./engine.js";

const PAGILA = path.resolve(import.meta.dirname, "../../../../tests/corpus/pagila");
/** Loaded once and kept between runs: loading pagila takes seconds, a dump of it a fraction of that. */
const TEMPLATE = "holdfast_test_pagila_v1";
const conn = (database: string): PostgresConnection => ({ ...PG, database });

function ensurePagila(): void {
  const exists = psql(`SELECT count(*) FROM pg_database WHERE datname = '${TEMPLATE}'`) === "1";
  if (exists && psql("SELECT count(*) FROM pg_tables WHERE tablename = 'holdfast_loaded'", TEMPLATE) === "1") return;
  dropDatabase(TEMPLATE);
  createDatabase(TEMPLATE);
  for (const f of ["pagila-schema.sql", "pagila-data.sql"]) {
    execFileSync("psql", ["-h", PG.host, "-U", PG.username, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", TEMPLATE, "-f", path.join(PAGILA, f)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
  }
  // The marker says "fully loaded"; it lives in its own schema, dropped from comparisons.
  psql("CREATE SCHEMA holdfast_marker; CREATE TABLE holdfast_marker.holdfast_loaded (); ", TEMPLATE);
}

/** `pg_dump --schema-only`, without the per-dump `\restrict` keys and the database's name. */
function schemaOf(db: string): string {
  return execFileSync("pg_dump", ["-h", PG.host, "-U", PG.username, "--schema-only", "--exclude-schema=holdfast_marker", `--dbname=${db}`], { encoding: "utf8" })
    .split("\n")
    .filter((l) => !/^\\(un)?restrict /.test(l))
    .join("\n")
    .split(db)
    .join("<db>");
}

/** Every table's rows as sorted `t::text`, hashed per table. */
function rowsOf(db: string): Record<string, string> {
  const sql = `SELECT format('SELECT %L, md5(coalesce(string_agg(t::text, E''\\n'' ORDER BY t::text), '''')) FROM %I.%I t', n.nspname || '.' || c.relname, n.nspname, c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'holdfast_marker') AND n.nspname NOT LIKE 'pg_toast%'
    ORDER BY 1 \\gexec`;
  const out = execFileSync("psql", ["-h", PG.host, "-U", PG.username, "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", db], { input: sql, encoding: "utf8" });
  const rows: Record<string, string> = {};
  for (const line of out.split("\n").filter(Boolean)) {
    const [name, hash] = line.split("\t");
    rows[name!] = hash!;
  }
  return rows;
}

describe("pagila through the agent's pipeline and back with engine.restore", () => {
  const tmp = makeTempDir("roundtrip");
  const engine = new PostgresEngine({ tmpDir: tmp, jobs: 2 });
  const targets: string[] = [];
  let sourceSchema: string;
  let sourceRows: Record<string, string>;

  beforeAll(() => {
    ensurePagila();
    sourceSchema = schemaOf(TEMPLATE);
    sourceRows = rowsOf(TEMPLATE);
  }, 120_000);

  afterAll(() => {
    for (const db of targets) dropDatabase(db);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function backup(options: BackupOptions, runId: string) {
    const resolved = resolveBackupOptions(options);
    const { artifact } = await stageBackup(engine, conn(TEMPLATE), resolved, { tmp, runId });
    return { artifact, resolved };
  }

  async function restoreInto(file: string, format: DumpFormat, codec: Codec, extra: { overwrite?: boolean; noOwner?: boolean } = {}) {
    const db = uniqueName("hf_restore");
    targets.push(db);
    createDatabase(db);
    await engine.restore(fs.createReadStream(file), conn(db), { format, codec, ...extra });
    return db;
  }

  const formats: DumpFormat[] = ["plain", "custom", "directory"];
  const codecs: Codec[] = ["gzip", "zstd", "none"];
  for (const format of formats) {
    for (const codec of codecs) {
      it(`${format} / ${codec}: the restored schema and every table's rows equal the source's`, async () => {
        const { artifact } = await backup({ format, compression: { codec } }, `run_${format}_${codec}`);
        expect(artifact.fileName).toBe(`run_${format}_${codec}${artifactExtension(format, codec)}`);
        const db = await restoreInto(artifact.stagingPath, format, codec);
        expect(schemaOf(db)).toBe(sourceSchema);
        expect(rowsOf(db)).toEqual(sourceRows);
      }, 120_000);
    }
  }

  // Issue 5 "Done when": with encryption on too. Restored through restoreTargetFor, which decrypts.
  for (const [format, codec] of [["plain", "gzip"], ["directory", "zstd"]] as const) {
    it(`${format} / ${codec} / age: the encrypted artifact restores to the same schema and rows`, async () => {
      const identity = await generateX25519Identity();
      const recipient = await identityToRecipient(identity);
      const { artifact } = await backup({ format, compression: { codec }, encryption: { recipient } }, `run_${format}_${codec}_age`);
      expect(artifact.fileName).toBe(`run_${format}_${codec}_age${artifactExtension(format, codec)}.age`);
      const db = uniqueName("hf_restore");
      targets.push(db);
      createDatabase(db);
      await restoreTargetFor({ engines: { postgres: engine } }, "postgres").restore(artifact.stagingPath, conn(db), {
        format, codec, overwrite: false, identity, signal: new AbortController().signal,
      });
      expect(schemaOf(db)).toBe(sourceSchema);
      expect(rowsOf(db)).toEqual(sourceRows);
    }, 120_000);
  }

  it("include and exclude table filters change what is restored", async () => {
    const src = uniqueName("hf_filter");
    targets.push(src);
    createDatabase(src);
    psql("CREATE TABLE keep_me (id int); INSERT INTO keep_me VALUES (1), (2); CREATE TABLE drop_me (id int); INSERT INTO drop_me VALUES (3); CREATE TABLE other (t text); INSERT INTO other VALUES ('x')", src);
    const tablesOf = (db: string) => psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'", db);
    const cases: [BackupOptions, string][] = [
      [{ format: "custom", compression: { codec: "zstd" }, tables: { include: ["public.keep_me"] } }, "keep_me"],
      [{ format: "plain", compression: { codec: "gzip" }, tables: { exclude: ["public.drop_me"] } }, "keep_me,other"],
      [{ format: "directory", compression: { codec: "none" }, tables: { include: ["public.*"], exclude: ["public.other"] } }, "drop_me,keep_me"],
    ];
    for (const [options, expected] of cases) {
      const resolved = resolveBackupOptions(options);
      const { artifact } = await stageBackup(engine, conn(src), resolved, { tmp, runId: "run_f" });
      const db = await restoreInto(artifact.stagingPath, resolved.format, resolved.codec);
      expect(tablesOf(db)).toBe(expected);
      expect(psql("SELECT string_agg(id::text, ',' ORDER BY id) FROM keep_me", db)).toBe("1,2");
    }
  }, 120_000);

  it("refuses a non-empty target without overwrite (409 RESTORE_TARGET_NOT_EMPTY), and restores over it with overwrite", async () => {
    const { artifact } = await backup({ format: "custom", compression: { codec: "gzip" } }, "run_over");
    const db = await restoreInto(artifact.stagingPath, "custom", "gzip");
    const err = await engine.restore(fs.createReadStream(artifact.stagingPath), conn(db), { format: "custom", codec: "gzip" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RESTORE_TARGET_NOT_EMPTY", status: 409 });
    expect((err as Error).message).toContain("send options.overwrite: true to replace them");
    psql("DELETE FROM public.payment_p2022_01 WHERE payment_id % 2 = 0", db);
    psql("CREATE TABLE public.stray (id int)", db);
    await engine.restore(fs.createReadStream(artifact.stagingPath), conn(db), { format: "custom", codec: "gzip", overwrite: true });
    expect(schemaOf(db)).toBe(sourceSchema);
    expect(rowsOf(db)).toEqual(sourceRows);
  }, 120_000);

  it("names the stage and the tool's stderr when a restore fails (a truncated artifact)", async () => {
    const { artifact } = await backup({ format: "plain", compression: { codec: "none" } }, "run_trunc");
    const cut = path.join(tmp, "cut.sql");
    const bytes = fs.readFileSync(artifact.stagingPath);
    fs.writeFileSync(cut, Buffer.concat([bytes.subarray(0, Math.floor(bytes.length / 2)), Buffer.from("\nSELECT broken syntax here;\n")]));
    const db = uniqueName("hf_restore");
    targets.push(db);
    createDatabase(db);
    const err = (await engine.restore(fs.createReadStream(cut), conn(db), { format: "plain", codec: "none" }).catch((e: unknown) => e)) as {
      code: string;
      details: Record<string, unknown>;
    };
    expect(err.code).toBe("RESTORE_FAILED");
    expect(err.details.stage).toBe("restore");
    expect(String(err.details.stderr)).toMatch(/ERROR/);
    // --single-transaction: nothing of the half restore stays.
    expect(psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db)).toBe("0");
  }, 120_000);

  it("stops at decompression on a corrupt artifact, before pg_restore runs (RESTORE_FAILED, stage decompress)", async () => {
    const { artifact } = await backup({ format: "custom", compression: { codec: "gzip" } }, "run_corrupt");
    const bad = path.join(tmp, "corrupt.dump.gz");
    const bytes = Buffer.from(fs.readFileSync(artifact.stagingPath));
    for (let i = 1000; i < 1100; i++) bytes[i] = bytes[i]! ^ 0xff;
    fs.writeFileSync(bad, bytes);
    const db = uniqueName("hf_restore");
    targets.push(db);
    createDatabase(db);
    const err = await engine.restore(fs.createReadStream(bad), conn(db), { format: "custom", codec: "gzip" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "decompress" } });
    expect(psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db)).toBe("0");
  }, 60_000);

  it("refuses a meta-command smuggled into a plain dump (psql restricted mode)", async () => {
    const evil = path.join(tmp, "evil.sql");
    fs.writeFileSync(evil, `CREATE TABLE t (id int);\n\\! touch ${tmp}/pwned\n`);
    const db = uniqueName("hf_restore");
    targets.push(db);
    createDatabase(db);
    const err = (await engine.restore(fs.createReadStream(evil), conn(db), { format: "plain", codec: "none" }).catch((e: unknown) => e)) as { code: string };
    expect(err.code).toBe("RESTORE_FAILED");
    expect(fs.existsSync(path.join(tmp, "pwned"))).toBe(false);
  }, 60_000);
});
