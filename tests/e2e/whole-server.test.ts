import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { PG_ADMIN_URL, snapshotTables, urlFor } from "../support/postgres.js";
import { type Api, type Stack, startStack, tempDir, waitForRun } from "../support/processes.js";
import { sha256File } from "../support/restore.js";
import { loadAwkwardData } from "../support/sample-data.js";

// Issue 19, "Done when": a whole-server backup of three databases, one added between two runs,
// restored, all and one, through the API of a real control plane and a real agent, on the real
// PostgreSQL server. Other suites create databases there at the same time: every backup chooses its
// databases by this file's own prefix.
describe("a PostgreSQL whole server in one job, through the API", () => {
  const prefix = `hfwse2e_${randomBytes(4).toString("hex")}`;
  const [a, b, c, d] = ["a", "b", "c", "d"].map((s) => `${prefix}_${s}`) as [string, string, string, string];
  const made: string[] = [];
  let stack: Stack;
  let client: Api;
  let datasourceId: string;
  let destinationId: string;
  let withThree: string;
  let withFour: string;

  const admin = async <T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> => {
    const sql = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      return await work(sql);
    } finally {
      await sql.end();
    }
  };
  const createDatabase = async (name: string) => {
    made.push(name);
    await admin((sql) => sql.unsafe(`CREATE DATABASE "${name}"`));
  };
  const ours = () => admin(async (sql) => (await sql<{ datname: string }[]>`SELECT datname FROM pg_database WHERE starts_with(datname, ${prefix})`).map((r) => r.datname).sort());
  const fill = async (name: string, rows: number) => {
    const sql = postgres(urlFor(name), { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(`CREATE TABLE items (id int PRIMARY KEY, label text, at timestamptz); INSERT INTO items SELECT g, md5(g::text), '2026-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, ${rows}) g`);
    } finally {
      await sql.end();
    }
  };
  const backup = async () => {
    const started = await client.post(`/datasources/${datasourceId}/backups`, {
      destinationIds: [destinationId],
      options: { databases: { include: [`${prefix}_*`] }, compression: { codec: "zstd" } },
    });
    expect(started.status).toBe(202);
    const run = await waitForRun(client, started.body.runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((x: { state: string }) => x.state === "completed" || x.state === "failed")));
    expect(run).toMatchObject({ state: "completed", error: null });
    return run;
  };
  const restore = async (sourceRunId: string, options: Record<string, unknown>) => {
    const started = await client.post(`/runs/${sourceRunId}/restore`, { targetDatasourceId: datasourceId, options });
    expect(started.status).toBe(202);
    return waitForRun(client, started.body.runId, (r) => r.state === "completed" || r.state === "failed");
  };

  beforeAll(async () => {
    stack = await startStack();
    client = stack.client;
    await createDatabase(a);
    await loadAwkwardData(urlFor(a));
    await createDatabase(b);
    await fill(b, 2000);
    await createDatabase(c);
    await fill(c, 10);
  });

  afterAll(async () => {
    await stack?.stop();
    await admin(async (sql) => {
      for (const name of made) await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  });

  it('stores a datasource of the whole server (database "*"), tested through the agent, which lists the server\'s databases', async () => {
    const ds = await client.post("/datasources", {
      agentId: stack.agent.agentId,
      name: "the whole server",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: "*", username: "postgres" },
    });
    expect(ds.status).toBe(201);
    datasourceId = ds.body.id;
    const listed = await client.get(`/datasources/${datasourceId}/databases`);
    expect(listed.status).toBe(200);
    const names = listed.body.items.map((i: { name: string }) => i.name);
    expect(names).toEqual(expect.arrayContaining([a, b, c]));
    expect(names).not.toContain("template0");
    expect(names).not.toContain("template1");
    const dest = await client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("ws-dest") } });
    expect(dest.status).toBe(201);
    destinationId = dest.body.id;
  });

  it("backs up the three databases as one artifact, one run, one hash", async () => {
    const run = await backup();
    withThree = run.runId;
    expect(run.deliveries[0].path).toMatch(/\.server\.tar\.zst$/);
    expect(run.artifact).toMatchObject({ format: "server", databases: [a, b, c] });
    expect(await sha256File(run.deliveries[0].path)).toBe(run.sha256);
  });

  it("picks up a fourth database created between two runs", async () => {
    await createDatabase(d);
    await fill(d, 50);
    const run = await backup();
    withFour = run.runId;
    expect(run.artifact.databases).toEqual([a, b, c, d]);
  });

  it("restores all four under new names, each equal to its source", async () => {
    const rename = Object.fromEntries([a, b, c, d].map((n) => [n, `${n}_all`]));
    made.push(...Object.values(rename));
    const run = await restore(withFour, { rename });
    expect(run).toMatchObject({ kind: "restore", state: "completed", error: null });
    for (const n of [a, b, c, d]) {
      const [source, copy] = await Promise.all([snapshotTables(urlFor(n)), snapshotTables(urlFor(rename[n]!))]);
      expect(Object.keys(copy).length).toBeGreaterThan(0);
      expect(copy).toEqual(source);
    }
  });

  it("restores one database of the first backup, and nothing else", async () => {
    const into = `${b}_one`;
    made.push(into);
    const before = await ours();
    const run = await restore(withThree, { databases: { include: [b] }, rename: { [b]: into } });
    expect(run).toMatchObject({ state: "completed", error: null });
    expect(await snapshotTables(urlFor(into))).toEqual(await snapshotTables(urlFor(b)));
    expect(await ours()).toEqual([...before, into].sort());
    // Into a target that now holds tables, without overwrite: refused, the target left as it is.
    const again = await restore(withThree, { databases: { include: [b] }, rename: { [b]: into } });
    expect(again).toMatchObject({ state: "failed", error: { code: "RESTORE_TARGET_NOT_EMPTY" } });
  });

  it("refuses a * whose patterns match nothing: 422 NO_DATABASE_MATCHED naming options.databases, no run kept", async () => {
    const before = (await client.get(`/runs?datasourceId=${datasourceId}`)).body.items.length;
    const res = await client.post(`/datasources/${datasourceId}/backups`, { destinationIds: [destinationId], options: { databases: { include: [`${prefix}_nothing_*`] } } });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "NO_DATABASE_MATCHED" });
    expect(res.body.error.message).toContain("options.databases");
    expect((await client.get(`/runs?datasourceId=${datasourceId}`)).body.items.length).toBe(before);
  });
});
