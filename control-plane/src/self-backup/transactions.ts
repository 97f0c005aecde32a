import { sql } from "drizzle-orm";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type { Database, Db } from "../db/index.js";

/*
 * The one place the self-backup leaves db/README.md's "no multi-statement transactions": an export
 * must read every table from one snapshot, and a restore must load every row or none. Both run in a
 * CLI process that owns its connection, so on SQLite a hand-written BEGIN … COMMIT sweeps in no
 * other request's statements (the reason the README forbids it in `serve`); on PostgreSQL drizzle's
 * async transaction holds one pooled connection for the whole callback.
 */

type PgDb = PgDatabase<never, Record<string, never>>;

/** Runs `fn` on one consistent snapshot of the whole database (WAL read transaction; REPEATABLE READ). */
export async function inReadSnapshot<T>(database: Database, fn: (db: Db) => Promise<T>): Promise<T> {
  if (database.dialect === "postgres") {
    const pg = database.db as unknown as PgDb;
    return pg.transaction(async (tx) => fn(tx as unknown as Db), { isolationLevel: "repeatable read", accessMode: "read only" });
  }
  return sqliteTransaction(database.db, "BEGIN", fn);
}

/** Runs `fn` in one write transaction: committed when it resolves, rolled back whole when it throws. */
export async function inWriteTransaction<T>(database: Database, fn: (db: Db) => Promise<T>): Promise<T> {
  if (database.dialect === "postgres") {
    const pg = database.db as unknown as PgDb;
    return pg.transaction(async (tx) => fn(tx as unknown as Db));
  }
  // IMMEDIATE: takes the write lock now, so a `serve` left running on the same file fails this at once.
  return sqliteTransaction(database.db, "BEGIN IMMEDIATE", fn);
}

async function sqliteTransaction<T>(db: Db, begin: "BEGIN" | "BEGIN IMMEDIATE", fn: (db: Db) => Promise<T>): Promise<T> {
  db.run(sql.raw(begin));
  let result: T;
  try {
    result = await fn(db);
  } catch (err) {
    db.run(sql`ROLLBACK`);
    throw err;
  }
  db.run(sql`COMMIT`);
  return result;
}
