import fs from "node:fs";
import path from "node:path";
import { REDACTED, type DatasourceConfigUpdate } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDatasource, saveDatasource } from "../store/datasources.js";
import { failureOf, uniqueName } from "../testing/helpers.js";
import { MY, mysqlRoot } from "../testing/mysql-server.js";
import { setupRunEnv, type RunEnv } from "../testing/run-env.js";
import { mergeUpdate, updateDatabaseConfig } from "./configs.js";

// A MariaDB user with a password: MariaDB checks it (the PostgreSQL here trusts everyone), so a wrong
// password fails the test for real.
describe("updateDatabaseConfig against a real MariaDB", () => {
  let env: RunEnv;
  const user = uniqueName("hf_upd");
  const database = "mysql";
  const connection = (password?: string) => ({ ...MY, username: user, database, ...(password !== undefined ? { password } : {}) });
  const update = (changes: Partial<DatasourceConfigUpdate> & { connection?: Record<string, unknown> } = {}): DatasourceConfigUpdate =>
    ({ datasourceId: "ds_1", name: "main", engine: "mysql", connection: connection(), storedPassword: "keep", test: true, ...changes }) as DatasourceConfigUpdate;

  beforeAll(() => {
    mysqlRoot(`CREATE USER '${user}'@'%' IDENTIFIED BY 'right-pw'; GRANT SELECT ON mysql.* TO '${user}'@'%';`);
    env = setupRunEnv({ prefix: "ds-update" });
  });
  afterAll(() => {
    env?.cleanup();
    mysqlRoot(`DROP USER IF EXISTS '${user}'@'%';`);
  });

  const stored = () => getDatasource(env.store, "ds_1");

  it("tests the new config before saving it: a wrong password answers DATABASE_AUTH_FAILED and leaves the stored config as it was", async () => {
    saveDatasource(env.store, { datasourceId: "ds_1", name: "main", engine: "mysql", connection: connection("right-pw"), maxDurationMinutes: 90 });
    const err = await failureOf(updateDatabaseConfig(env.ctx, update({ name: "renamed", connection: connection("wrong-pw") })));
    expect(err.code).toBe("DATABASE_AUTH_FAILED");
    expect(stored()).toMatchObject({ name: "main", connection: { password: "right-pw" }, maxDurationMinutes: 90 });
  });

  it("keeps the stored password when none (or the mask) is sent, and the stored run limit when none is sent", async () => {
    const answer = await updateDatabaseConfig(env.ctx, update({ name: "renamed" }));
    expect(answer).toMatchObject({ name: "renamed", connection: { password: REDACTED }, maxDurationMinutes: 90, test: { ok: true, serverVersion: expect.any(String) } });
    expect(JSON.stringify(answer)).not.toContain("right-pw");
    await updateDatabaseConfig(env.ctx, update({ connection: connection(REDACTED), maxDurationMinutes: 30 }));
    expect(stored()).toMatchObject({ name: "main", connection: { password: "right-pw" }, maxDurationMinutes: 30 });
  });

  it("replaces the password with a new one that works", async () => {
    mysqlRoot(`ALTER USER '${user}'@'%' IDENTIFIED BY 'rotated-pw';`);
    await updateDatabaseConfig(env.ctx, update({ connection: connection("rotated-pw") }));
    expect(stored()?.connection).toMatchObject({ password: "rotated-pw" });
  });

  it("drops the stored password for a passwordFile, and on storedPassword: remove", async () => {
    const file = path.join(env.dir, "mysql.pw");
    fs.writeFileSync(file, "rotated-pw\n", { mode: 0o600 });
    await updateDatabaseConfig(env.ctx, update({ connection: { ...connection(), passwordFile: file } }));
    expect(stored()?.connection).toEqual({ ...connection(), passwordFile: file });
    saveDatasource(env.store, { datasourceId: "ds_1", name: "main", engine: "mysql", connection: connection("rotated-pw") });
    await updateDatabaseConfig(env.ctx, update({ storedPassword: "remove", test: false }));
    expect(stored()?.connection).toEqual(connection());
  });

  it("refuses another engine, naming what to do, and changes nothing", async () => {
    const before = stored();
    const err = await failureOf(updateDatabaseConfig(env.ctx, update({ engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: "x", username: "u" } } as never)));
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(err.message).toContain("create a new datasource");
    expect(stored()).toEqual(before);
  });

  it("answers DATASOURCE_NOT_FOUND for a config it does not hold", async () => {
    expect((await failureOf(updateDatabaseConfig(env.ctx, update({ datasourceId: "ds_none" })))).code).toBe("DATASOURCE_NOT_FOUND");
  });
});

describe("a datasource's tool priority across updates", () => {
  const current = { datasourceId: "ds_p", name: "p", engine: "sqlite", connection: { path: "/srv/p.db" }, maxDurationMinutes: 60, priority: { nice: 10, ioClass: "idle" } } as const;
  const update = (priority?: unknown) => ({ datasourceId: "ds_p", name: "p", engine: "sqlite", connection: { path: "/srv/p.db" }, storedPassword: "keep", test: false, ...(priority !== undefined ? { priority } : {}) }) as DatasourceConfigUpdate;

  it("keeps it when the update names none, replaces it whole when it does, and drops it on null (back to the agent's defaults)", () => {
    expect(mergeUpdate(current, update()).priority).toEqual({ nice: 10, ioClass: "idle" });
    expect(mergeUpdate(current, update({ ioLevel: 7 })).priority).toEqual({ ioLevel: 7 });
    expect(mergeUpdate(current, update(null))).not.toHaveProperty("priority");
  });
});
