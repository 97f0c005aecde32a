import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBackupOptions, type BackupOptions, type Codec } from "@holdfast/shared";
import { artifactExtension } from "../../pipeline/codec.js";
import { restoreTargetFor } from "../../restore/restore-target.js";
import { stageBackup } from "../../testing/engines.js";
import { makeTempDir, uniqueName } from "../../testing/helpers.js";
import { MysqlEngine } from "./engine.js";
import { addAwkwardData, createDb, dbExists, dropDb, loadSakila, myConn, mysqlRoot, ODD_TABLE, quoteIdent, rowsOf, schemaOf } from "../../testing/mysql-server.js";

describe("sakila through the agent's pipeline and back with MysqlEngine.restore", () => {
  const tmp = makeTempDir("myroundtrip");
  const engine = new MysqlEngine({ tmpDir: tmp });
  const source = uniqueName("hf_my_sakila");
  const marker = path.join(tmp, "pwned");
  const targets: string[] = [source];
  let sourceSchema: string;
  let sourceRows: Record<string, string>;

  beforeAll(() => {
    createDb(source);
    loadSakila(source);
    addAwkwardData(source, marker);
    sourceSchema = schemaOf(source);
    sourceRows = rowsOf(source);
  }, 120_000);

  afterAll(() => {
    for (const db of targets) dropDb(db);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function freshTarget(): string {
    const db = uniqueName("hf_my_restore");
    targets.push(db);
    return createDb(db);
  }

  async function backup(options: BackupOptions, runId: string, db = source) {
    const resolved = resolveBackupOptions(options, "mysql");
    return { ...(await stageBackup(engine, myConn(db), resolved, { tmp, runId })), resolved };
  }

  it("loaded what the test claims: sakila's tables, views, triggers, routines, ENUM/SET, and the awkward rows", () => {
    expect(Object.keys(sourceRows)).toEqual(expect.arrayContaining(["film", "film_text", "payment", "rental", ODD_TABLE]));
    expect(mysqlRoot("SELECT COUNT(*) FROM film_text", source)).toBe("200");
    expect(sourceSchema).toMatch(/CREATE .*VIEW `film_list`/);
    expect(sourceSchema).toMatch(/CREATE .*TRIGGER `ins_film`/);
    expect(sourceSchema).toMatch(/CREATE .*PROCEDURE `rewards_report`/);
    expect(sourceSchema).toMatch(/CREATE .*FUNCTION `get_customer_balance`/);
    expect(sourceSchema).toContain("enum('G','PG','PG-13','R','NC-17')");
    expect(sourceSchema).toMatch(/CREATE .*EVENT `odd event`/);
    expect(mysqlRoot(`SELECT HEX(emoji), LENGTH(bin) FROM ${quoteIdent(ODD_TABLE)} WHERE id = 2`, source)).toMatch(/^F09F9880.*\t256$/);
  });

  const codecs: Codec[] = ["gzip", "zstd", "none"];
  for (const codec of codecs) {
    it(`plain / ${codec}: the restored schema and every table's rows equal the source's`, async () => {
      const { artifact } = await backup({ compression: { codec } }, `run_${codec}`);
      expect(artifact.fileName).toBe(`run_${codec}${artifactExtension("plain", codec)}`);
      const db = freshTarget();
      const result = await engine.restore(fs.createReadStream(artifact.stagingPath), myConn(db), { format: "plain", codec });
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
      expect(schemaOf(db)).toBe(sourceSchema);
      expect(rowsOf(db)).toEqual(sourceRows);
      expect(fs.existsSync(marker)).toBe(false);
    }, 120_000);
  }

  it("restores through restoreTargetFor (the restore runner's entry point) too", async () => {
    const { artifact } = await backup({ compression: { codec: "zstd", level: 5 } }, "run_target");
    const db = freshTarget();
    await restoreTargetFor({ engines: { mysql: engine } }, "mysql").restore(artifact.stagingPath, myConn(db), {
      format: "plain",
      codec: "zstd",
      overwrite: false,
      signal: new AbortController().signal,
    });
    expect(rowsOf(db)).toEqual(sourceRows);
  }, 120_000);

  it("include and exclude patterns (names and globs) change what is dumped", async () => {
    const tablesOf = (db: string) => mysqlRoot("SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()", db);
    const cases: [BackupOptions, string][] = [
      // film_list is a view over actor and category too: it is left out where they are.
      [{ tables: { include: ["film*"], exclude: ["film_list"] } }, "film,film_actor,film_category,film_text"],
      [{ tables: { include: ["actor", ODD_TABLE], exclude: [] } }, `actor,${ODD_TABLE}`],
      [{ tables: { include: ["film*"], exclude: ["film_list", "film_text"] } }, "film,film_actor,film_category"],
    ];
    for (const [options, expected] of cases) {
      const { artifact } = await backup({ ...options, compression: { codec: "none" } }, "run_filter");
      const db = freshTarget();
      await engine.restore(fs.createReadStream(artifact.stagingPath), myConn(db), { format: "plain", codec: "none" });
      expect(tablesOf(db)).toBe(expected);
    }
    const { artifact } = await backup({ tables: { exclude: ["payment", "rental", "*_list", "sales_*"] }, compression: { codec: "gzip" } }, "run_exclude");
    const db = freshTarget();
    await engine.restore(fs.createReadStream(artifact.stagingPath), myConn(db), { format: "plain", codec: "gzip" });
    const restored = tablesOf(db).split(",");
    expect(restored).not.toContain("payment");
    expect(restored).not.toContain("rental");
    expect(restored).not.toContain("film_list");
    expect(restored).toContain("inventory");
    const err = await engine.dump(myConn(source), resolveBackupOptions({ tables: { include: ["no_such_*"] } }, "mysql")).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "DUMP_FAILED" });
  }, 120_000);

  it("schema-only restores the schema without rows; data-only restores rows into that schema", async () => {
    const schema = await backup({ schemaOnly: true, compression: { codec: "gzip" } }, "run_schema");
    const db = freshTarget();
    await engine.restore(fs.createReadStream(schema.artifact.stagingPath), myConn(db), { format: "plain", codec: "gzip" });
    expect(schemaOf(db)).toBe(sourceSchema);
    expect(mysqlRoot("SELECT COUNT(*) FROM film", db)).toBe("0");
    const data = await backup({ dataOnly: true, compression: { codec: "gzip" } }, "run_data");
    const text = await import("node:zlib").then((z) => z.gunzipSync(fs.readFileSync(data.artifact.stagingPath)).toString("utf8"));
    expect(text).not.toMatch(/CREATE TABLE|CREATE .*TRIGGER|CREATE .*PROCEDURE/);
    // Rows go into the schema-only copy by hand (engine.restore refuses a non-empty target), with
    // the triggers off: ins_film would fill film_text a second time (MySQL has no --disable-triggers).
    mysqlRoot("DROP TRIGGER ins_film; DROP TRIGGER upd_film; DROP TRIGGER del_film; DROP TRIGGER `odd trigger`;", db);
    mysqlRoot(text, db);
    expect(rowsOf(db)).toEqual(sourceRows);
  }, 120_000);

  it("refuses a non-empty target without overwrite (409 RESTORE_TARGET_NOT_EMPTY) and replaces it with overwrite", async () => {
    const { artifact } = await backup({ compression: { codec: "gzip" } }, "run_over");
    const db = freshTarget();
    mysqlRoot("CREATE TABLE stray (id INT); CREATE VIEW stray_view AS SELECT 1 AS one; CREATE PROCEDURE stray_proc() SELECT 1;", db);
    const err = await engine.restore(fs.createReadStream(artifact.stagingPath), myConn(db), { format: "plain", codec: "gzip" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RESTORE_TARGET_NOT_EMPTY", status: 409, details: { objects: 3 } });
    expect((err as Error).message).toContain("send options.overwrite: true to replace them");
    expect(mysqlRoot("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()", db)).toBe("2");
    await engine.restore(fs.createReadStream(artifact.stagingPath), myConn(db), { format: "plain", codec: "gzip", overwrite: true });
    // Over a full copy too: foreign keys, views and triggers in the way are dropped first.
    mysqlRoot("DELETE FROM payment WHERE payment_id % 2 = 0", db);
    await engine.restore(fs.createReadStream(artifact.stagingPath), myConn(db), { format: "plain", codec: "gzip", overwrite: true });
    expect(schemaOf(db)).toBe(sourceSchema);
    expect(rowsOf(db)).toEqual(sourceRows);
  }, 120_000);

  it("a missing target database is DATABASE_NOT_FOUND before anything runs (it is not created)", async () => {
    const { artifact } = await backup({ compression: { codec: "none" } }, "run_missing");
    const missing = uniqueName("hf_my_missing");
    const err = await engine.restore(fs.createReadStream(artifact.stagingPath), myConn(missing), { format: "plain", codec: "none" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "DATABASE_NOT_FOUND", details: { stderr: expect.stringContaining("Unknown database") } });
    expect(dbExists(missing)).toBe(false);
  }, 60_000);

  it("names the stage and the client's stderr when a restore fails part way (a truncated artifact)", async () => {
    const { artifact } = await backup({ compression: { codec: "none" } }, "run_trunc");
    const cut = path.join(tmp, "cut.sql");
    const bytes = fs.readFileSync(artifact.stagingPath);
    fs.writeFileSync(cut, Buffer.concat([bytes.subarray(0, Math.floor(bytes.length / 2)), Buffer.from("\nSELECT broken syntax here;\n")]));
    const db = freshTarget();
    const err = (await engine.restore(fs.createReadStream(cut), myConn(db), { format: "plain", codec: "none" }).catch((e: unknown) => e)) as { code: string; details: Record<string, unknown> };
    expect(err.code).toBe("RESTORE_FAILED");
    expect(err.details.stage).toBe("restore");
    expect(String(err.details.stderr)).toMatch(/ERROR \d+/);
  }, 60_000);

  it("stops at decompression on a corrupt artifact (RESTORE_FAILED, stage decompress), killing the client before it runs a half statement", async () => {
    const { artifact } = await backup({ compression: { codec: "gzip" } }, "run_corrupt");
    const bad = path.join(tmp, "corrupt.sql.gz");
    const bytes = Buffer.from(fs.readFileSync(artifact.stagingPath));
    for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 64; i++) bytes[i] = bytes[i]! ^ 0xff;
    fs.writeFileSync(bad, bytes);
    const db = freshTarget();
    const err = await engine.restore(fs.createReadStream(bad), myConn(db), { format: "plain", codec: "gzip" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "decompress" } });
  }, 60_000);

  it("refuses what the restore cannot honour: another format, noOwner", async () => {
    const db = freshTarget();
    for (const opts of [{ format: "custom" as const, codec: "none" as const }, { format: "plain" as const, codec: "none" as const, noOwner: true }]) {
      const err = await engine.restore(fs.createReadStream(__filename), myConn(db), opts).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "VALIDATION_FAILED" });
    }
  });

  it("restore drill: a scratch beside the source, the restored copy's fingerprint equals the dump's source fingerprint, drop removes it", async () => {
    const { artifact, dump } = await backup({ compression: { codec: "zstd" } }, "run_drill");
    const expected = await dump.sourceFingerprint!();
    expect(Object.keys(expected.items)).toEqual(expect.arrayContaining(["film", ODD_TABLE]));
    expect(expected.items.film).toMatchObject({ rows: 200 });
    const drillId = uniqueName("d").replace(/-/g, "_");
    const scratch = await engine.createScratch(myConn(source), drillId);
    targets.push(scratch.connection.database);
    expect(scratch.connection.database).toBe(`holdfast_drill_${drillId}`);
    expect(mysqlRoot("SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()", scratch.connection.database)).toBe(
      mysqlRoot("SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()", source),
    );
    await engine.restore(fs.createReadStream(artifact.stagingPath), scratch.connection, { format: "plain", codec: "zstd" });
    expect(await engine.fingerprint(scratch.connection)).toEqual(expected);

    // A broken copy is told apart: one changed byte in a BLOB, one row fewer.
    mysqlRoot(`UPDATE ${quoteIdent(ODD_TABLE)} SET bin = CONCAT(LEFT(bin, 255), 'x') WHERE id = 2; DELETE FROM rental WHERE rental_id = 7;`, scratch.connection.database);
    const broken = await engine.fingerprint(scratch.connection);
    expect(broken.items[ODD_TABLE]!.rows).toBe(expected.items[ODD_TABLE]!.rows);
    expect(broken.items[ODD_TABLE]!.checksum).not.toBe(expected.items[ODD_TABLE]!.checksum);
    expect(broken.items.rental!.rows).toBe(expected.items.rental!.rows! - 1);
    expect(broken.items.film).toEqual(expected.items.film);

    await scratch.drop();
    expect(dbExists(scratch.connection.database)).toBe(false);
    await expect(engine.createScratch(myConn(source), "../x")).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  }, 120_000);
});
