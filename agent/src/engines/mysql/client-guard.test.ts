import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, uniqueName } from "../../testing/helpers.js";
import { buildClientArgs } from "./args.js";
import { MysqlEngine } from "./engine.js";
import { createOptionsFile } from "./option-file.js";
import { toolEnv } from "../spawn-tool.js";
import { clientHasSandbox } from "./tools.js";
import { createDb, dropDb, myConn, mysqlRoot } from "../../testing/mysql-server.js";

/** Client commands a hostile "dump" could carry: each would run a shell or read a file if the client interpreted it. */
function smuggled(marker: string, sqlFile: string): string[] {
  return [
    `\\! touch ${marker}`,
    `system touch ${marker}`,
    `\\. ${sqlFile}`,
    `source ${sqlFile}`,
    `pager touch ${marker}`,
    `\\P touch ${marker}`,
    `tee ${marker}`,
    `\\T ${marker}`,
  ];
}

describe("the SQL client runs a dump's SQL and nothing else", () => {
  const tmp = makeTempDir("myguard");
  const engine = new MysqlEngine({ tmpDir: tmp });
  const marker = path.join(tmp, "pwned");
  const sqlFile = path.join(tmp, "sourced.sql");
  const db = uniqueName("hf_my_guard");

  beforeAll(() => {
    createDb(db);
    fs.writeFileSync(sqlFile, "CREATE TABLE sourced_table (id INT);\n");
  });
  afterAll(() => {
    dropDb(db);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const tables = () => mysqlRoot("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()", db);

  it("engine.restore refuses every smuggled client command: RESTORE_FAILED, no file touched, nothing sourced", async () => {
    for (const line of smuggled(marker, sqlFile)) {
      const dump = `SELECT 1;\n${line}\nSELECT 2;\n`;
      const err = await engine.restore(Readable.from([Buffer.from(dump)]), myConn(db), { format: "plain", codec: "none" }).catch((e: unknown) => e);
      expect(err, line).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "restore" } });
      expect(fs.existsSync(marker), line).toBe(false);
      expect(tables(), line).toBe("0");
    }
  });

  it("refuses LOAD DATA LOCAL INFILE (it would read this host's files into the target)", async () => {
    const dump = `CREATE TABLE loot (line TEXT);\nLOAD DATA LOCAL INFILE '${sqlFile}' INTO TABLE loot;\n`;
    const err = await engine.restore(Readable.from([Buffer.from(dump)]), myConn(db), { format: "plain", codec: "none" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "restore" } });
    expect(mysqlRoot("SELECT COUNT(*) FROM loot", db)).toBe("0");
    mysqlRoot("DROP TABLE loot;", db);
  });

  it("binary mode alone already keeps the client from running them (a client without --sandbox)", async () => {
    const options = await createOptionsFile(tmp, {});
    try {
      for (const sandbox of [false, true]) {
        if (sandbox && !(await clientHasSandbox("mariadb"))) continue;
        for (const line of smuggled(marker, sqlFile)) {
          const args = buildClientArgs(options.path, myConn(db), "mariadb", { sandbox, database: db });
          const run = spawnSync("mariadb", args, { input: `SELECT 1;\n${line}\nSELECT 2;\n`, env: toolEnv(), encoding: "utf8" });
          expect(run.status, `${line} (sandbox ${sandbox})`).not.toBe(0);
          expect(fs.existsSync(marker)).toBe(false);
          expect(tables()).toBe("0");
        }
      }
    } finally {
      await options.remove();
    }
  });

  it("without those flags the same lines would run (the test is not vacuous)", () => {
    const run = spawnSync("mariadb", ["-uroot", `--host=${myConn(db).host}`, "--protocol=TCP", "--batch", "--", db], { input: `\\! touch ${marker}\n`, encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(fs.existsSync(marker)).toBe(true);
    fs.rmSync(marker);
  });
});
