import BetterSqlite3 from "better-sqlite3";
import { type Column, eq, getTableColumns, getTableName } from "drizzle-orm";
import { getTableConfig as pgConfig, type PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./index.js";
import { createTestDatabase, type Dialect, DIALECTS, type TestDatabase } from "../testing/databases.js";

interface LiveTable {
  /** column name → "<sql type> null|not null" */
  columns: Record<string, string>;
  /** Index and unique constraint names, primary keys left out (their names are the engine's). */
  indexes: string[];
}

/** What the migrations built, read from the database's own catalog. */
async function liveSchema(dialect: Dialect, tdb: TestDatabase): Promise<Record<string, LiveTable>> {
  const out: Record<string, LiveTable> = {};
  if (dialect === "sqlite") {
    const client = new BetterSqlite3(tdb.sqlitePath, { readonly: true });
    try {
      const tables = client.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name <> '__drizzle_migrations'").all() as { name: string }[];
      for (const { name } of tables) {
        const cols = client.prepare("select name, type, \"notnull\" as nn from pragma_table_info(?)").all(name) as { name: string; type: string; nn: number }[];
        const idx = client.prepare("select name from sqlite_master where type = 'index' and tbl_name = ? and sql is not null").all(name) as { name: string }[];
        out[name] = { columns: Object.fromEntries(cols.map((c) => [c.name, `${c.type.toLowerCase()} ${c.nn ? "not null" : "null"}`])), indexes: idx.map((i) => i.name).sort() };
      }
    } finally {
      client.close();
    }
    return out;
  }
  const sql = postgres(tdb.databaseUrl!, { max: 1, onnotice: () => {} });
  try {
    const cols = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string }[]>`
      select table_name, column_name, data_type, is_nullable from information_schema.columns where table_schema = 'public'`;
    for (const c of cols) {
      out[c.table_name] ??= { columns: {}, indexes: [] };
      out[c.table_name]!.columns[c.column_name] = `${c.data_type} ${c.is_nullable === "YES" ? "null" : "not null"}`;
    }
    const idx = await sql<{ tablename: string; indexname: string }[]>`
      select i.tablename, i.indexname from pg_indexes i
      where i.schemaname = 'public' and not exists (select 1 from pg_constraint c where c.conname = i.indexname and c.contype = 'p')`;
    for (const i of idx) out[i.tablename]!.indexes.push(i.indexname);
    for (const t of Object.values(out)) t.indexes.sort();
  } finally {
    await sql.end();
  }
  return out;
}

/** The same description from the schema file of the open dialect. */
function declaredSchema(database: Database): Record<string, LiveTable> {
  const out: Record<string, LiveTable> = {};
  for (const table of Object.values(database.t)) {
    const cfg = database.dialect === "postgres" ? pgConfig(table as unknown as PgTable) : sqliteConfig(table);
    const columns = Object.values(getTableColumns(table)) as Column[];
    out[getTableName(table)] = {
      columns: Object.fromEntries(columns.map((c) => [c.name, `${c.getSQLType()} ${c.notNull ? "not null" : "null"}`])),
      indexes: [
        ...cfg.indexes.map((i) => i.config.name!),
        ...columns.filter((c) => c.isUnique).map((c) => c.uniqueName!),
        ...cfg.uniqueConstraints.map((u) => u.getName()!),
      ].sort(),
    };
  }
  return out;
}

describe.each(DIALECTS)("database on %s", (dialect) => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
  });
  afterAll(async () => tdb.cleanup());

  it("creates every table of the schema, empty", async () => {
    const { db, t } = tdb.database;
    expect(Object.keys(t)).toContain("schedules");
    for (const table of Object.values(t)) expect(await db.select().from(table)).toEqual([]);
  });

  it("has, after its migrations, exactly the tables, columns, types, nullability and indexes of its schema file", async () => {
    // Catches a schema change without `npm run db:generate`, and a migration edited by hand.
    expect(await liveSchema(dialect, tdb)).toEqual(declaredSchema(tdb.database));
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
