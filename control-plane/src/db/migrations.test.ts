import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { asc, eq } from "drizzle-orm";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { migrate as migrateSqlite } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/postgres-js";
import { migrate as migratePg } from "drizzle-orm/postgres-js/migrator";
import { pino } from "pino";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fireDue } from "../firing/fire.js";
import { listScheduleRecords } from "../schedules/schedule-rows.js";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { type Database, openDatabase } from "./index.js";

const MIGRATIONS = fileURLToPath(new URL("../../drizzle/", import.meta.url));
const MIN = 60_000;
const T0 = Date.parse("2030-01-01T00:00:00Z");
const log = pino({ level: "silent" });

/** A copy of the dialect's migrations that stops after `lastTag`: a database as an older release left it. */
async function migrationsUpTo(dialect: "sqlite" | "pg", lastTag: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "holdfast-migrations-"));
  await cp(join(MIGRATIONS, dialect), dir, { recursive: true });
  const journalPath = join(dir, "meta", "_journal.json");
  const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: Array<{ tag: string }> };
  const last = journal.entries.findIndex((e) => e.tag === lastTag);
  if (last < 0) throw new Error(`no migration ${lastTag}`);
  journal.entries = journal.entries.slice(0, last + 1);
  await writeFile(journalPath, JSON.stringify(journal));
  return dir;
}

/** Rows as 0004 knew them, written in plain SQL (the schema files describe the newest tables). */
const OLD_ROWS = [
  `insert into agents (id, name, hostname, key_id, public_key_jwk, status, created_at) values
     ('agt_1', 'a1', 'h1', 'k1', '{}', 'offline', 1), ('agt_2', 'a2', 'h2', 'k2', '{}', 'offline', 1)`,
  // On agt_1: "shop" three times and a "shop (2)" already; on agt_2 one more "shop" (another agent: no clash).
  `insert into datasources (id, agent_id, name, engine, connection_redacted, created_at) values
     ('ds_a', 'agt_1', 'shop', 'postgres', '{}', 1),
     ('ds_b', 'agt_1', 'shop', 'postgres', '{}', 3),
     ('ds_c', 'agt_1', 'shop', 'postgres', '{}', 2),
     ('ds_d', 'agt_1', 'shop (2)', 'postgres', '{}', 4),
     ('ds_e', 'agt_2', 'shop', 'postgres', '{}', 5),
     ('ds_f', 'agt_1', 'crm', 'postgres', '{}', 6)`,
  // sch_fired last handled 00:10 (its run is there); sch_new never fired; sch_mixed's last firing
  // recorded to run (00:10) ended missed later (agent offline), while 00:20 was recorded missed at once.
  `insert into schedules (id, datasource_id, name, cron, timezone, destination_ids, last_fired_at, created_at, updated_at) values
     ('sch_fired', 'ds_a', 'every 10 min', '*/10 * * * *', 'UTC', '[]', ${T0 + 10 * MIN}, ${T0}, ${T0}),
     ('sch_new', 'ds_f', 'nightly', '0 3 * * *', 'UTC', '[]', ${T0 + 5 * MIN}, ${T0 + 5 * MIN}, ${T0 + 5 * MIN}),
     ('sch_mixed', 'ds_e', 'every 10 min', '*/10 * * * *', 'UTC', '[]', ${T0 + 20 * MIN}, ${T0}, ${T0})`,
  `insert into runs (id, kind, trigger, agent_id, datasource_id, state, idempotency_key, schedule_id, fire_time, attempt, created_at, finished_at) values
     ('run_1', 'backup', 'schedule', 'agt_1', 'ds_a', 'completed', 'k1', 'sch_fired', ${T0 + 10 * MIN}, 1, ${T0 + 10 * MIN}, ${T0 + 12 * MIN}),
     ('run_2', 'backup', 'schedule', 'agt_2', 'ds_e', 'missed', 'k2', 'sch_mixed', ${T0 + 10 * MIN}, 1, ${T0 + 10 * MIN}, ${T0 + 11 * MIN}),
     ('run_3', 'backup', 'schedule', 'agt_2', 'ds_e', 'missed', 'k3', 'sch_mixed', ${T0 + 20 * MIN}, 1, ${T0 + 45 * MIN}, ${T0 + 45 * MIN})`,
];

describe.each(DIALECTS)("upgrading a %s database from 0004 to fire_cursor and unique datasource names", (dialect) => {
  let tdb: TestDatabase;
  let upgraded: Database;

  beforeAll(async () => {
    // An empty database of its own (createTestDatabase migrates fully, so its file or database is replaced).
    tdb = await createTestDatabase(dialect);
    await tdb.database.close();
    if (dialect === "sqlite") {
      await rm(tdb.sqlitePath, { force: true });
      const client = new BetterSqlite3(tdb.sqlitePath);
      const folder = await migrationsUpTo("sqlite", "0004_schedules_and_records");
      migrateSqlite(drizzleSqlite({ client }), { migrationsFolder: folder });
      for (const statement of OLD_ROWS) client.exec(statement);
      client.close();
      await rm(folder, { recursive: true, force: true });
    } else {
      const client = postgres(tdb.databaseUrl!, { max: 1, onnotice: () => {} });
      await client.unsafe("drop schema public cascade; create schema public; drop schema if exists drizzle cascade");
      const folder = await migrationsUpTo("pg", "0004_schedules_and_records");
      await migratePg(drizzlePg({ client }), { migrationsFolder: folder });
      for (const statement of OLD_ROWS) await client.unsafe(statement);
      await client.end();
      await rm(folder, { recursive: true, force: true });
    }
    upgraded = await openDatabase({ databaseUrl: tdb.databaseUrl, sqlitePath: tdb.sqlitePath });
    tdb.database = upgraded;
  });
  afterAll(async () => tdb.cleanup());

  it("keeps the firing loop's cursor where it was and fills lastFiredAt from the runs", async () => {
    const { db, t } = upgraded;
    const rows = await db.select({ id: t.schedules.id, fireCursor: t.schedules.fireCursor, lastFiredAt: t.schedules.lastFiredAt }).from(t.schedules).orderBy(asc(t.schedules.id));
    expect(rows).toEqual([
      { id: "sch_fired", fireCursor: T0 + 10 * MIN, lastFiredAt: T0 + 10 * MIN },
      { id: "sch_mixed", fireCursor: T0 + 20 * MIN, lastFiredAt: T0 + 10 * MIN },
      { id: "sch_new", fireCursor: T0 + 5 * MIN, lastFiredAt: null },
    ]);
  });

  it("neither repeats the firing handled before the upgrade nor loses the next one", async () => {
    const ctx = { database: upgraded, clock: { now: () => new Date(T0 + 10 * MIN + 5_000), setTimeout: () => () => {} }, log };
    const fired = (await listScheduleRecords(ctx)).find((s) => s.id === "sch_fired")!;
    expect(await fireDue(ctx, fired, new Date(T0 + 10 * MIN + 5_000), 30 * MIN)).toBe(0);
    expect(await fireDue(ctx, fired, new Date(T0 + 20 * MIN), 30 * MIN)).toBe(1);
    const { db, t } = upgraded;
    const runs = await db.select({ fireTime: t.runs.fireTime, state: t.runs.state }).from(t.runs).where(eq(t.runs.scheduleId, "sch_fired")).orderBy(asc(t.runs.fireTime));
    expect(runs).toEqual([
      { fireTime: T0 + 10 * MIN, state: "completed" },
      { fireTime: T0 + 20 * MIN, state: "pending" },
    ]);
    const [after] = await db.select().from(t.schedules).where(eq(t.schedules.id, "sch_fired"));
    expect(after).toMatchObject({ fireCursor: T0 + 20 * MIN, lastFiredAt: T0 + 20 * MIN });
  });

  it("renames later duplicate datasource names per agent, oldest first, and then refuses a new duplicate", async () => {
    const { db, t } = upgraded;
    const rows = await db.select({ id: t.datasources.id, agentId: t.datasources.agentId, name: t.datasources.name }).from(t.datasources).orderBy(asc(t.datasources.id));
    expect(rows).toEqual([
      { id: "ds_a", agentId: "agt_1", name: "shop" },
      // Created third; the second (ds_c) would be "shop (2)", which ds_d had, so it falls back to its id.
      { id: "ds_b", agentId: "agt_1", name: "shop (3)" },
      { id: "ds_c", agentId: "agt_1", name: "shop (ds_c)" },
      { id: "ds_d", agentId: "agt_1", name: "shop (2)" },
      { id: "ds_e", agentId: "agt_2", name: "shop" },
      { id: "ds_f", agentId: "agt_1", name: "crm" },
    ]);
    const duplicate = { id: "ds_g", agentId: "agt_1", name: "crm", engine: "postgres", connectionRedacted: "{}", createdAt: 7 };
    await expect(db.insert(t.datasources).values(duplicate)).rejects.toThrow();
    await db.insert(t.datasources).values({ ...duplicate, agentId: "agt_2" });
  });
});
