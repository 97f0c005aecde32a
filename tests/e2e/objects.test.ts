import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchMysql, mysql, MYSQL, type ScratchMysql } from "../support/mysql.js";
import { createScratchDatabase, type ScratchDatabase, snapshotTables } from "../support/postgres.js";
import { type Stack, startStack, tempDir, waitForRun } from "../support/processes.js";
import { loadAwkwardData, loadBulkData } from "../support/sample-data.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const MIB = 1024 * 1024;

// Datasources and backups as objects, through real agent and control-plane processes: a datasource
// changed on the agent (MariaDB checks passwords, so a wrong one fails for real; PostgreSQL's port),
// a backup downloaded whole and by ranges from a folder after the spool copy went, deleted by hand,
// and a datasource retired with its history and backups kept.
describe("datasources and backups as objects, with the real agent", () => {
  let stack: Stack;
  let source: ScratchDatabase;
  let myDb: ScratchMysql;
  let folder: string;
  let destId: string;
  const dbs: ScratchDatabase[] = [];
  const user = `hf_obj_${randomBytes(3).toString("hex")}`;
  let pgId: string;
  const backups: string[] = [];

  beforeAll(async () => {
    [stack, source] = await Promise.all([startStack(), createScratchDatabase("hf_obj_src")]);
    dbs.push(source);
    await loadAwkwardData(source.url);
    // About 3 MB of poorly compressible rows: split at 1 MiB, the artifact has parts.
    await loadBulkData(source.url, 3);
    myDb = createScratchMysql("hf_obj_my");
    mysql(`CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t VALUES (1, 'one'), (2, 'two');`, myDb.name);
    mysql(`CREATE USER '${user}'@'%' IDENTIFIED BY 'first-pw'; GRANT ALL PRIVILEGES ON *.* TO '${user}'@'%';`);
    folder = tempDir("objects-folder");
    const dest = await stack.client.post("/destinations", { name: "folder", type: "local", config: { path: folder } });
    expect(dest.status).toBe(201);
    destId = dest.body.id;
  });
  afterAll(async () => {
    await stack?.stop();
    for (const db of dbs) await db.drop();
    myDb?.drop();
    mysql(`DROP USER IF EXISTS '${user}'@'%';`);
  });

  const backup = (datasourceId: string, options: Record<string, unknown> = {}) => stack.client.post(`/datasources/${datasourceId}/backups`, { destinationIds: [destId], options });
  const delivered = async (runId: string) =>
    waitForRun(stack.client, runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state === "completed" || d.state === "failed")));

  it("pushes a new MariaDB password to the agent: a wrong one changes nothing, the right one is tested and the next backup uses it", async () => {
    const { client, agent } = stack;
    const created = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "shop-mysql",
      engine: "mysql",
      connection: { host: MYSQL.host, port: MYSQL.port, database: myDb.name, username: user, password: "first-pw" },
      tags: ["mysql"],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;

    const wrong = await client.patch(`/datasources/${id}`, { name: "renamed", connection: { password: "wrong-pw" } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.code).toBe("DATABASE_AUTH_FAILED");
    expect((await client.get(`/datasources/${id}`)).body).toMatchObject({ name: "shop-mysql", connection: { password: "********" } });
    // The agent kept the password that works.
    const still = await backup(id);
    expect(still.status).toBe(202);
    expect((await delivered(still.body.runId)).state).toBe("completed");

    mysql(`ALTER USER '${user}'@'%' IDENTIFIED BY 'second-pw';`);
    const stale = await backup(id);
    expect(stale.status).toBe(422);
    expect(stale.body.error.code).toBe("DATABASE_AUTH_FAILED");

    const rotated = await client.patch(`/datasources/${id}`, { connection: { password: "second-pw" } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body).toMatchObject({ test: { ok: true }, connection: { password: "********" } });
    const next = await backup(id);
    expect(next.status).toBe(202);
    expect((await delivered(next.body.runId)).state).toBe("completed");

    // Retired: the agent forgets the config and its password, and the control plane shows it no more.
    expect((await client.delete(`/datasources/${id}`)).status).toBe(200);
    const db = new Database(path.join(agent.dataDir, "agent.db"), { readonly: true });
    try {
      const row = db.prepare("SELECT deleted_at, connection FROM datasources WHERE id = ?").get(id) as { deleted_at: string | null; connection: string };
      expect(row.deleted_at).not.toBeNull();
      expect(JSON.parse(row.connection)).not.toHaveProperty("password");
    } finally {
      db.close();
    }
  });

  it("moves a PostgreSQL datasource to the right port: the next backup reaches the server there", async () => {
    const { client, agent } = stack;
    const created = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "shop",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 1, database: source.name, username: "postgres" },
      test: false,
    });
    expect(created.status).toBe(201);
    pgId = created.body.id;
    const unreachable = await backup(pgId);
    expect(unreachable.body.error?.code).toBe("DATABASE_UNREACHABLE");

    const moved = await client.patch(`/datasources/${pgId}`, { connection: { port: 5432 }, note: "moved to the default port" });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({ connection: { port: 5432 }, test: { ok: true, serverVersion: expect.any(String) } });
    const run = await backup(pgId, { maxFileSizeMb: 1 });
    expect(run.status).toBe(202);
    const done = await delivered(run.body.runId);
    expect(done).toMatchObject({ state: "completed", deliveries: [{ state: "completed" }] });
    expect(done.artifact.parts.length).toBeGreaterThanOrEqual(2);
    backups.push(run.body.runId);
  });

  it("refuses a standby that is a primary, naming the field, and stores nothing (here and on the agent)", async () => {
    const { client, agent } = stack;
    // The machine's PostgreSQL is a primary: named as the standby, the agent's check finds it is not replaying.
    const refused = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "not-a-standby",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres", standby: { host: "127.0.0.1", port: 5432 } },
    });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "connection.standby", message: expect.stringContaining("is not a standby") }] } });
    const listed = await client.get("/datasources");
    expect(listed.body.items.map((d: { name: string }) => d.name)).not.toContain("not-a-standby");
  });

  it("downloads the split backup from the folder once the spool copy is gone, whole and by ranges, with its SHA-256", async () => {
    const { client, cp } = stack;
    const runId = backups[0]!;
    const run = (await client.get(`/runs/${runId}`)).body;
    expect(await readdir(path.join(cp.dataDir, "spool"))).toEqual([]);

    const whole = await client.fetch(`/runs/${runId}/artifact`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("x-holdfast-sha256")).toBe(run.sha256);
    expect(whole.headers.get("content-length")).toBe(String(run.sizeBytes));
    expect(whole.headers.get("content-disposition")).toMatch(new RegExp(`^attachment; filename="\\d{8}T\\d{6}Z_${runId}\\.sql\\.gz"$`));
    const bytes = Buffer.from(await whole.arrayBuffer());
    expect(sha(bytes)).toBe(run.sha256);

    // Across the boundary between the first two parts, the tail, and past the end.
    const across = await client.fetch(`/runs/${runId}/artifact`, { range: `bytes=${MIB - 100}-${MIB + 99}` });
    expect(across.status).toBe(206);
    expect(across.headers.get("content-range")).toBe(`bytes ${MIB - 100}-${MIB + 99}/${run.sizeBytes}`);
    expect(Buffer.from(await across.arrayBuffer()).equals(bytes.subarray(MIB - 100, MIB + 100))).toBe(true);
    const tail = await client.fetch(`/runs/${runId}/artifact`, { range: "bytes=-1000" });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(-1000))).toBe(true);
    const past = await client.fetch(`/runs/${runId}/artifact`, { range: `bytes=${run.sizeBytes}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${run.sizeBytes}`);
    expect(((await past.json()) as { error: { code: string } }).error.code).toBe("RANGE_NOT_SATISFIABLE");
  });

  it("deletes a backup by hand: the sidecar, then the parts leave the folder, the record says who; the newest good one needs force", async () => {
    const { client } = stack;
    const newer = await backup(pgId);
    expect((await delivered(newer.body.runId)).state).toBe("completed");
    backups.push(newer.body.runId);
    const [older] = backups;
    const refused = await client.delete(`/runs/${newer.body.runId}/artifact`);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "NEWEST_GOOD_BACKUP", message: expect.stringContaining("?force=true") });

    const files = async (runId: string) => (await readdir(folder, { recursive: true })).filter((f) => f.includes(runId));
    expect((await files(older!)).length).toBeGreaterThanOrEqual(3);
    const res = await client.delete(`/runs/${older}/artifact`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const objects = res.body.deleted[0].objects as string[];
    expect(objects[0]).toMatch(/\.sql\.gz\.json$/);
    expect(objects.slice(1).every((o) => /\.part\d{4}$/.test(o))).toBe(true);
    expect(await files(older!)).toEqual([]);
    const deliveries = (await client.get(`/runs/${older}/deliveries`)).body.items;
    expect(deliveries).toEqual([expect.objectContaining({ deletedAt: expect.any(String), deletionReason: "manual: deleted by admin@example.test" })]);
    const gone = await client.fetch(`/runs/${older}/artifact`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { message: string } }).error.message).toContain("manual: deleted by admin@example.test");
    // Its sidecar went with it; the newer backup's is still there.
    const sidecar = (await files(newer.body.runId)).find((f) => f.endsWith(".json"))!;
    expect(JSON.parse(await readFile(path.join(folder, sidecar), "utf8"))).toMatchObject({ runId: newer.body.runId });
  });

  it("retires the PostgreSQL datasource: its runs stay listed, its backup restores into another datasource, its name is free", async () => {
    const { client, agent } = stack;
    const retired = await client.delete(`/datasources/${pgId}`);
    expect(retired.status).toBe(200);
    expect((await client.get(`/datasources/${pgId}`)).status).toBe(404);
    expect((await client.get(`/runs?datasourceId=${pgId}&kind=backup`)).body.items.map((r: { runId: string }) => r.runId)).toEqual(expect.arrayContaining(backups));

    const target = await createScratchDatabase("hf_obj_dst");
    dbs.push(target);
    const targetDs = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "restore target",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: target.name, username: "postgres" },
    });
    const restore = await client.post(`/runs/${backups[1]}/restore`, { targetDatasourceId: targetDs.body.id });
    expect(restore.status, JSON.stringify(restore.body)).toBe(202);
    const restored = await waitForRun(client, restore.body.runId, (r) => r.state === "completed" || r.state === "failed");
    expect(restored).toMatchObject({ state: "completed", error: null });
    expect(await snapshotTables(target.url)).toEqual(await snapshotTables(source.url));

    const again = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "shop",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
  });
});
