import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MYSQL, mysql, snapshotMysql } from "../support/mysql.js";
import { type Api, type Stack, startStack, tempDir, waitForRun } from "../support/processes.js";
import { sha256File } from "../support/restore.js";

// Issue 19: the whole server in one job on MariaDB, through the API of a real control plane and a
// real agent. Other suites create databases on the same server at the same time: every backup
// chooses its databases by this file's own prefix.
describe("a MariaDB whole server in one job, through the API", () => {
  const prefix = `hfwsmy_${randomBytes(4).toString("hex")}`;
  const [shop, crm, skipped] = ["shop", "crm", "skip_logs"].map((s) => `${prefix}_${s}`) as [string, string, string];
  const made: string[] = [];
  let stack: Stack;
  let client: Api;
  let datasourceId: string;
  let destinationId: string;
  let runId: string;

  const createDatabase = (name: string) => {
    made.push(name);
    mysql(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  };
  const restore = async (options: Record<string, unknown>) => {
    const started = await client.post(`/runs/${runId}/restore`, { targetDatasourceId: datasourceId, options });
    expect(started.status).toBe(202);
    return waitForRun(client, started.body.runId, (r) => r.state === "completed" || r.state === "failed");
  };
  const ours = () => mysql(`SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE '${prefix}\\_%' ORDER BY 1`).split("\n").filter(Boolean);

  beforeAll(async () => {
    stack = await startStack();
    client = stack.client;
    createDatabase(shop);
    mysql(
      `CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(100), size ENUM('s','m','l'), blob_col LONGBLOB, note TEXT);
       INSERT INTO items VALUES (1, 'plain', 's', UNHEX('00FF7F80'), NULL), (2, '😀 emoji', 'l', '', ''), (3, 'quote '' and \\\\ backslash', NULL, NULL, 'x');
       INSERT INTO items SELECT seq, CONCAT('row ', seq), 'm', RANDOM_BYTES(16), REPEAT('z', seq % 50) FROM seq_10_to_3000;
       CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT);
       CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item_id) VALUES (NEW.id);
       CREATE VIEW big_items AS SELECT id, label FROM items WHERE size = 'l';
       CREATE FUNCTION double_it(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;`,
      shop,
    );
    createDatabase(crm);
    mysql("CREATE TABLE contacts (id INT PRIMARY KEY, email VARCHAR(200)); INSERT INTO contacts SELECT seq, CONCAT('p', seq, '@example.test') FROM seq_1_to_500;", crm);
    createDatabase(skipped);
    mysql("CREATE TABLE log_lines (id INT PRIMARY KEY, line TEXT); INSERT INTO log_lines VALUES (1, 'not wanted');", skipped);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    for (const name of made) mysql(`DROP DATABASE IF EXISTS \`${name}\``);
  });

  it('stores a MariaDB datasource of the whole server (database "*"); the agent lists its databases, not the server\'s own', async () => {
    const ds = await client.post("/datasources", {
      agentId: stack.agent.agentId,
      name: "the whole MariaDB",
      engine: "mysql",
      connection: { host: MYSQL.host, port: MYSQL.port, database: "*", username: MYSQL.username },
    });
    expect(ds.status).toBe(201);
    datasourceId = ds.body.id;
    const listed = await client.get(`/datasources/${datasourceId}/databases`);
    expect(listed.status).toBe(200);
    const names = listed.body.items.map((i: { name: string }) => i.name);
    expect(names).toEqual(expect.arrayContaining([shop, crm, skipped]));
    for (const own of ["mysql", "information_schema", "performance_schema", "sys"]) expect(names).not.toContain(own);
    const dest = await client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("ws-my-dest") } });
    expect(dest.status).toBe(201);
    destinationId = dest.body.id;
  });

  it("backs up the databases its include and exclude patterns choose, as one artifact, one hash", async () => {
    const started = await client.post(`/datasources/${datasourceId}/backups`, {
      destinationIds: [destinationId],
      options: { databases: { include: [`${prefix}_*`], exclude: [`${prefix}_skip_*`] }, compression: { codec: "zstd" } },
    });
    expect(started.status).toBe(202);
    const run = await waitForRun(client, started.body.runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((x: { state: string }) => x.state !== "pending" && x.state !== "running")));
    expect(run).toMatchObject({ state: "completed", error: null, deliveries: [expect.objectContaining({ state: "completed" })] });
    runId = run.runId;
    expect(run.artifact).toMatchObject({ format: "server", codec: "zstd", databases: [crm, shop] });
    expect(run.deliveries[0].path).toMatch(/\.server\.tar\.zst$/);
    expect(await sha256File(run.deliveries[0].path)).toBe(run.sha256);
  });

  it("restores the shop database into a new name, equal to its source (rows, view, trigger, function), and nothing else", async () => {
    const into = `${shop}_copy`;
    made.push(into);
    const before = ours();
    const run = await restore({ databases: { include: [shop] }, rename: { [shop]: into } });
    expect(run).toMatchObject({ kind: "restore", state: "completed", error: null });
    const copy = snapshotMysql(into);
    expect(copy["table items"]).toMatch(/^2994 rows/);
    expect(copy).toEqual(snapshotMysql(shop));
    expect(ours()).toEqual([...before, into].sort());
  });

  it("restores every database of the backup renamed; the excluded one was never in it", async () => {
    const rename = { [shop]: `${shop}_all`, [crm]: `${crm}_all` };
    made.push(...Object.values(rename));
    const run = await restore({ rename });
    expect(run).toMatchObject({ state: "completed", error: null });
    for (const [source, target] of Object.entries(rename)) expect(snapshotMysql(target)).toEqual(snapshotMysql(source));
    // A rename of a database the backup does not hold is refused, naming it.
    const refused = await restore({ rename: { [skipped]: `${skipped}_all` } });
    expect(refused).toMatchObject({ state: "failed", error: { code: "VALIDATION_FAILED" } });
    expect(JSON.stringify(refused.error)).toContain(skipped);
  });
});
