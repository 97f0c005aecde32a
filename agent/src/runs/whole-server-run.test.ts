import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { artifactKindOf, assertOptionsFitDatasource, DatabaseRenames, MongoConnection, PostgresConnection, renamesFromPairs, RestoreRequestOptions, type BackupOptions } from "@holdfast/shared";
import { createRunContext } from "../agent.js";
import { DEFAULT_LIMITS } from "../env.js";
import { silentLogger } from "../log.js";
import { saveDatasource } from "../store/datasources.js";
import { openStore } from "../store/open-store.js";
import { readEventsAfter } from "../store/outbox.js";
import { getRun } from "../queue/run-record.js";
import { startBackup } from "../queue/start-backup.js";
import { createDatabase, dropDatabase, failureOf, makeTempDir, ManualClock, PG, psql, uniqueName } from "../testing/helpers.js";

// A whole-server datasource (database "*") through the agent's own run: startBackup, its preflight,
// the run and its backupCompleted. Databases chosen by this suite's prefix: others share the server.
describe("a whole-server datasource's runs", () => {
  const prefix = uniqueName("hfwsrun");
  const names = [`${prefix}_one`, `${prefix}_two`];
  let env: { dir: string; store: ReturnType<typeof openStore>["store"]; ctx: ReturnType<typeof createRunContext> };
  const start = (runId: string, datasourceId: string, options?: BackupOptions) =>
    startBackup(env.ctx, { runId, datasourceId, trigger: "manual", requestedBy: "ops@example.com", ...(options ? { options } : {}) });

  beforeAll(() => {
    for (const n of names) {
      createDatabase(n);
      psql("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100)", n);
    }
  });
  afterAll(() => names.forEach(dropDatabase));
  beforeEach(() => {
    const dir = makeTempDir("wsrun");
    const stagingRoot = path.join(dir, "staging");
    const clock = new ManualClock();
    const { store } = openStore({ dataDir: path.join(dir, "data"), stagingRoot, clock });
    env = { dir, store, ctx: createRunContext({ store, stagingRoot, clock, log: silentLogger, tmpDir: dir, limits: DEFAULT_LIMITS }) };
    saveDatasource(env.store, { datasourceId: "server", name: "server", engine: "postgres", connection: { ...PG, database: "*" } });
    saveDatasource(env.store, { datasourceId: "single", name: "single", engine: "postgres", connection: { ...PG, database: names[0]! } });
  });
  afterEach(() => {
    env.store.close();
    fs.rmSync(env.dir, { recursive: true, force: true });
  });

  it("completes with the server format, and backupCompleted names the databases it holds", async () => {
    await start("run_server", "server", { databases: { include: [`${prefix}_*`] } });
    await env.ctx.slot.whenIdle();
    const run = getRun(env.store, "run_server")!;
    expect(run.state).toBe("completed");
    expect(run.fileName).toBe("run_server.server.tar.gz");
    expect(run.options).toMatchObject({ format: "server", globals: true, databases: { include: [`${prefix}_*`], exclude: [] } });
    const done = readEventsAfter(env.store, 0).find((e) => e.type === "backupCompleted")!;
    expect(done.data).toMatchObject({ format: "server", databases: names });
    expect(artifactKindOf("run_server.server.tar.gz")).toEqual({ format: "server", codec: "gzip", encrypted: false });
  });

  it("refuses a `*` whose patterns match nothing before accepting the run: 422 NO_DATABASE_MATCHED, nothing recorded or staged", async () => {
    const err = await failureOf(start("run_none", "server", { databases: { include: [`${prefix}_nothing*`] } }));
    expect(err.code).toBe("NO_DATABASE_MATCHED");
    expect(err.details).toMatchObject({ blockingIssues: [expect.objectContaining({ code: "NO_DATABASE_MATCHED" })] });
    expect(getRun(env.store, "run_none")).toBeNull();
    expect(fs.existsSync(path.join(env.ctx.stagingRoot, "run_none"))).toBe(false);
  });

  it("refuses options a whole server cannot take, and databases on a single database", async () => {
    for (const options of [{ format: "custom" }, { tables: { include: ["t"] } }, { verify: true }] as BackupOptions[]) {
      expect((await failureOf(start("run_bad", "server", options))).code, JSON.stringify(options)).toBe("VALIDATION_FAILED");
    }
    const err = await failureOf(start("run_bad", "single", { databases: { include: ["x"] } }));
    expect(err).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "options.databases" }] } });
  });
});

describe("`*` and the restore's choices at the boundary", () => {
  it("means the whole server only where an engine takes it", () => {
    expect(PostgresConnection.safeParse({ ...PG, database: "*" }).success).toBe(true);
    expect(MongoConnection.safeParse({ host: "h", database: "*" }).success).toBe(false);
    expect(() => assertOptionsFitDatasource("postgres", { ...PG, database: "*" }, { format: "server", globals: false, databases: { exclude: ["tmp_*"] } })).not.toThrow();
    expect(() => assertOptionsFitDatasource("postgres", { ...PG, database: "app" }, { format: "server" })).toThrow();
  });

  it("takes renames of one source to one target, never '*'", () => {
    expect(RestoreRequestOptions.parse({ databases: { include: ["a*"] }, rename: { a1: "b1" } })).toEqual({ databases: { include: ["a*"] }, rename: { a1: "b1" } });
    expect(DatabaseRenames.safeParse({ a: "x", b: "x" }).success).toBe(false);
    expect(DatabaseRenames.safeParse({ a: "*" }).success).toBe(false);
    expect(DatabaseRenames.safeParse({ a: "-x" }).success).toBe(false);
    // The CLIs' --rename source=target: a source may hold "=", a target never does.
    expect(renamesFromPairs(["a=b", "x=y=z"])).toEqual({ a: "b", "x=y": "z" });
    expect(DatabaseRenames.safeParse(renamesFromPairs(["nothing"])).success).toBe(false);
  });
});
