import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchMysql, mysql, MYSQL, type ScratchMysql, snapshotMysql } from "../support/mysql.js";
import { type Api, type Stack, startStack, tempDir, waitForRun } from "../support/processes.js";

const settledWithDeliveries = (r: { state: string; deliveries: { state: string }[] }) =>
  r.state === "failed" || (r.state === "completed" && r.deliveries.every((d) => d.state !== "pending" && d.state !== "running"));
const ended = (r: { state: string }) => r.state === "completed" || r.state === "failed";

// The other engines through the whole product: a real agent dumps, the control plane pulls and
// delivers, the drill verifies, and a restore through Holdfast into a fresh target equals the source.
describe("engines beyond PostgreSQL, end to end", () => {
  let stack: Stack;
  let client: Api;
  let destinationId: string;
  const cleanups: (() => void)[] = [];

  beforeAll(async () => {
    stack = await startStack();
    client = stack.client;
    destinationId = (await client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("engines-dest") } })).body.id;
  });
  afterAll(async () => {
    await stack?.stop();
    for (const c of cleanups) c();
  });

  async function datasource(name: string, engine: string, connection: object): Promise<string> {
    const ds = await client.post("/datasources", { agentId: stack.agent.agentId, name, engine, connection });
    expect(ds.status).toBe(201);
    return ds.body.id;
  }

  async function backupAndRestore(sourceId: string, targetId: string, options: object) {
    const started = await client.post(`/datasources/${sourceId}/backups`, { destinationIds: [destinationId], options });
    expect(started.status).toBe(202);
    const run = await waitForRun(client, started.body.runId, settledWithDeliveries);
    expect(run).toMatchObject({ state: "completed", verified: true, deliveries: [expect.objectContaining({ state: "completed" })] });
    const restore = await client.post(`/runs/${run.runId}/restore`, { targetDatasourceId: targetId });
    expect(restore.status).toBe(202);
    const restored = await waitForRun(client, restore.body.runId, ended);
    expect(restored).toMatchObject({ kind: "restore", state: "completed", error: null });
    return run;
  }

  describe("MySQL / MariaDB", () => {
    let source: ScratchMysql;
    let target: ScratchMysql;

    beforeAll(() => {
      source = createScratchMysql("hf_e2e_my_src");
      target = createScratchMysql("hf_e2e_my_dst");
      cleanups.push(source.drop, target.drop);
      mysql(
        `CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(100), size ENUM('s','m','l'), flags SET('a','b','c'), blob_col LONGBLOB, note TEXT);
         INSERT INTO items VALUES (1, 'plain', 's', 'a,c', UNHEX('00FF7F80'), NULL), (2, '😀 emoji', 'l', '', '', ''), (3, 'quote '' and \\\\ backslash', NULL, 'b', NULL, 'x');
         INSERT INTO items SELECT seq, CONCAT('row ', seq), 'm', 'a', RANDOM_BYTES(16), REPEAT('z', seq % 50) FROM seq_10_to_2000;
         CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT, at_label VARCHAR(100));
         CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item_id, at_label) VALUES (NEW.id, NEW.label);
         CREATE VIEW big_items AS SELECT id, label FROM items WHERE size = 'l';
         CREATE FUNCTION double_it(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;`,
        source.name,
      );
    });

    it("backs up with zstd and a drill, delivers, and restores into a fresh database equal to the source", async () => {
      const conn = (database: string) => ({ host: MYSQL.host, port: MYSQL.port, database, username: "root" });
      const sourceId = await datasource("my source", "mysql", conn(source.name));
      const targetId = await datasource("my target", "mysql", conn(target.name));
      const run = await backupAndRestore(sourceId, targetId, { compression: { codec: "zstd" }, verify: true });
      expect(run.artifact).toMatchObject({ format: "plain", codec: "zstd" });
      expect(run.verification).toMatchObject({ verified: true, checked: 2 });
      expect(snapshotMysql(target.name)).toEqual(snapshotMysql(source.name));
    });
  });
});
