import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "./index.js";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";

describe.each(DIALECTS)("database on %s", (dialect) => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
  });
  afterAll(async () => tdb.cleanup());

  it("creates every table, empty", async () => {
    const { db, t } = tdb.database;
    for (const table of [t.users, t.apiTokens, t.enrollmentTokens, t.agents, t.agentJti, t.datasources, t.destinations, t.runs, t.deliveries, t.agentEvents]) {
      expect(await db.select().from(table)).toEqual([]);
    }
  });

  it("migrates an up-to-date database again without change", async () => {
    const again = await openDatabase({ databaseUrl: tdb.databaseUrl, sqlitePath: tdb.sqlitePath });
    await again.close();
  });

  it("round-trips epoch milliseconds and byte counts past 2^32 as numbers", async () => {
    const { db, t } = tdb.database;
    const big = 5_000_000_000_123;
    await db.insert(t.runs).values({
      id: "run_big",
      kind: "backup",
      trigger: "manual",
      agentId: "agt_x",
      datasourceId: "ds_x",
      state: "completed",
      idempotencyKey: "k1",
      sizeBytes: big,
      createdAt: Date.UTC(2030, 0, 1),
    });
    const row = (await db.select().from(t.runs).where(eq(t.runs.id, "run_big")))[0];
    expect(row?.sizeBytes).toBe(big);
    expect(row?.createdAt).toBe(Date.UTC(2030, 0, 1));
  });

  it("keeps (datasource_id, idempotency_key) unique: a second insert does nothing", async () => {
    const { db, t } = tdb.database;
    const values = { kind: "backup", trigger: "manual", agentId: "agt_x", datasourceId: "ds_u", state: "queued", idempotencyKey: "same", createdAt: 1 };
    const first = await db.insert(t.runs).values({ id: "run_u1", ...values }).onConflictDoNothing().returning({ id: t.runs.id });
    const second = await db.insert(t.runs).values({ id: "run_u2", ...values }).onConflictDoNothing().returning({ id: t.runs.id });
    expect(first).toEqual([{ id: "run_u1" }]);
    expect(second).toEqual([]);
  });
});
