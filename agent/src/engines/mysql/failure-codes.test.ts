import fs from "node:fs";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HoldfastError, MysqlConnection } from "@holdfast/shared";
import { failureOf, freeLoopbackPort, makeTempDir, uniqueName } from "../../testing/helpers.js";
import { createDb, dropDb, MY, myConn, mysqlRoot } from "../../testing/mysql-server.js";
import { MysqlEngine } from "./engine.js";

/** Wrong credentials, a missing database and a closed port each answer their own catalog code on every path that connects. */
describe("MySQL/MariaDB failures told apart, against the real MariaDB", () => {
  const tmp = makeTempDir("my-failures");
  const engine = new MysqlEngine({ tmpDir: tmp });
  const granted = uniqueName("hf_my_granted");
  const other = uniqueName("hf_my_other");
  const user = uniqueName("hf_my_fail");
  const password = `right "pw" #${uniqueName("x")}`;
  const wrong = `wrong 'pw' \\ #${uniqueName("y")}`;

  beforeAll(() => {
    createDb(granted);
    createDb(other);
    mysqlRoot(`CREATE USER '${user}'@'${MY.host}' IDENTIFIED BY '${password.replace(/'/g, "\\'")}'; GRANT ALL ON \`${granted}\`.* TO '${user}'@'${MY.host}';`);
  });
  afterAll(() => {
    for (const db of [granted, other]) dropDb(db);
    mysqlRoot(`DROP USER IF EXISTS '${user}'@'${MY.host}';`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const dumpFailure = async (c: MysqlConnection): Promise<HoldfastError> => {
    const handle = await engine.dump(c);
    handle.stdout.resume();
    return failureOf(handle.done);
  };
  const restoreFailure = (c: MysqlConnection) => failureOf(engine.restore(Readable.from([Buffer.from("CREATE TABLE t (id INT);\n")]), c, { format: "plain", codec: "none" }));
  const leftovers = () => fs.readdirSync(tmp).filter((n) => n.startsWith("holdfast-my-"));

  it("a wrong password is DATABASE_AUTH_FAILED (422, not retried) in the connection test, the dump, the restore and the listing; never echoed", async () => {
    const bad = myConn(granted, { username: user, password: wrong });
    for (const err of [await failureOf(engine.testConnection(bad)), await dumpFailure(bad), await restoreFailure(bad), await failureOf(engine.listDatabases(bad))]) {
      expect(err.toBody()).toMatchObject({ code: "DATABASE_AUTH_FAILED", retryable: false, details: { stderr: expect.stringContaining("1045") } });
      expect(err.status).toBe(422);
      expect(err.message).toMatch(/Access denied for user/);
      expect(JSON.stringify(err.toBody())).not.toContain(wrong);
    }
    expect(leftovers()).toEqual([]);
  });

  it("a database the user may not use is DATABASE_AUTH_FAILED (error 1044), not a missing one", async () => {
    const err = await failureOf(engine.testConnection(myConn(other, { username: user, password })));
    expect(err).toMatchObject({ code: "DATABASE_AUTH_FAILED", message: expect.stringContaining(`to database '${other}'`) });
  });

  it("a database that does not exist is DATABASE_NOT_FOUND (422, not retried) in the connection test, the dump and the restore", async () => {
    const missing = myConn(uniqueName("hf_my_absent"));
    for (const err of [await failureOf(engine.testConnection(missing)), await dumpFailure(missing), await restoreFailure(missing)]) {
      expect(err.toBody()).toMatchObject({ code: "DATABASE_NOT_FOUND", retryable: false, details: { stderr: expect.stringContaining("Unknown database") } });
      expect(err.status).toBe(422);
      expect(err.message).toContain(missing.database);
    }
  });

  it("a closed port is DATABASE_UNREACHABLE (503, retried) in the connection test, the dump, the restore and the listing", async () => {
    const closed = { ...myConn(granted), port: await freeLoopbackPort() };
    for (const err of [await failureOf(engine.testConnection(closed)), await dumpFailure(closed), await restoreFailure(closed), await failureOf(engine.listDatabases(closed))]) {
      expect(err.toBody()).toMatchObject({ code: "DATABASE_UNREACHABLE", retryable: true });
      expect(err.status).toBe(503);
      expect(err.message).toMatch(/Can't connect/);
    }
  });

  it("lists the databases when the configured one does not exist", async () => {
    const items = await engine.listDatabases(myConn(uniqueName("hf_my_absent")));
    expect(items.map((i) => i.name)).toEqual(expect.arrayContaining([granted, other]));
  });
});
