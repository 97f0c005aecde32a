import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type Agent, type Api, type Stack, startStack, tempDir, waitForRun } from "../support/processes.js";
import { settled } from "../support/proxied-rig.js";
import { loadBulkData } from "../support/sample-data.js";

// A backup taken while a writer keeps moving money between accounts must restore to one moment:
// the total never changes inside a transaction, so any torn snapshot shows up as a wrong total or a
// transfer with one leg.
describe("a backup under concurrent writes", () => {
  let stack: Stack;
  let agent: Agent;
  let client: Api;
  const dbs: ScratchDatabase[] = [];

  beforeAll(async () => {
    stack = await startStack();
    ({ agent, client } = stack);
  });
  afterAll(async () => {
    await stack?.stop();
    for (const db of dbs) await db.drop();
  });

  const datasource = async (db: ScratchDatabase, name: string) =>
    (await client.post("/datasources", { agentId: agent.agentId, name, engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" } })).body.id as string;

  it("restores through Holdfast to a consistent snapshot", async () => {
    const source = await createScratchDatabase("hf_writes");
    const target = await createScratchDatabase("hf_writes_dst");
    dbs.push(source, target);
    await loadBulkData(source.url, 30); // makes the dump take long enough to overlap the writer
    const sql = postgres(source.url, { max: 2, onnotice: () => {} });
    await sql.unsafe(`
      CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);
      INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 100) g;
      CREATE TABLE ledger (transfer_id bigint, account int, amount bigint, at timestamptz DEFAULT clock_timestamp());
    `);

    let writing = true;
    let committed = 0;
    const writer = (async () => {
      for (let t = 1; writing; t++) {
        const [from, to, amount] = [1 + (t % 100), 1 + ((t * 7) % 100), 1 + (t % 13)];
        await sql.begin(async (tx) => {
          await tx`UPDATE accounts SET balance = balance - ${amount} WHERE id = ${from}`;
          await tx`INSERT INTO ledger (transfer_id, account, amount) VALUES (${t}, ${from}, ${-amount})`;
          await tx`UPDATE accounts SET balance = balance + ${amount} WHERE id = ${to}`;
          await tx`INSERT INTO ledger (transfer_id, account, amount) VALUES (${t}, ${to}, ${amount})`;
        });
        committed = t;
      }
    })();

    try {
      const sourceId = await datasource(source, "writes");
      const dest = (await client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("dest") } })).body.id;
      const before = committed;
      const started = await client.post(`/datasources/${sourceId}/backups`, { destinationIds: [dest], options: { format: "custom", compression: { codec: "zstd" } } });
      expect(started.status, JSON.stringify(started.body)).toBe(202);
      const run = await waitForRun(client, started.body.runId, settled);
      expect(run.state).toBe("completed");
      const during = committed - before;
      expect(during).toBeGreaterThan(0); // the writer really ran while the backup did

      const targetId = await datasource(target, "writes-restored");
      const restore = await client.post(`/runs/${run.runId}/restore`, { targetDatasourceId: targetId, options: {} });
      expect(restore.status, JSON.stringify(restore.body)).toBe(202);
      const restored = await waitForRun(client, restore.body.runId, (r) => ["completed", "failed"].includes(r.state));
      expect(restored, JSON.stringify(restored.error)).toMatchObject({ kind: "restore", state: "completed" });
    } finally {
      writing = false;
      await writer;
      await sql.end();
    }

    const check = postgres(target.url, { max: 1, onnotice: () => {} });
    try {
      const { total } = (await check<{ total: string }[]>`SELECT sum(balance)::text AS total FROM accounts`)[0]!;
      expect(total).toBe("100000");
      const torn = await check`SELECT transfer_id FROM ledger GROUP BY transfer_id HAVING count(*) <> 2 OR sum(amount) <> 0`;
      expect(torn).toHaveLength(0);
      const { transfers } = (await check<{ transfers: number }[]>`SELECT count(DISTINCT transfer_id)::int AS transfers FROM ledger`)[0]!;
      // Every transfer the snapshot holds is complete, and the ledger agrees with the balances.
      const { drift } = (await check<{ drift: number }[]>`
        SELECT count(*)::int AS drift FROM accounts a
        WHERE a.balance <> 1000 + coalesce((SELECT sum(amount) FROM ledger l WHERE l.account = a.id), 0)`)[0]!;
      expect(drift).toBe(0);
      expect(transfers).toBeGreaterThan(0);
    } finally {
      await check.end();
    }
  });
});
