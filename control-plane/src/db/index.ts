import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import type { Logger } from "drizzle-orm";
import { drizzle as drizzleSqlite, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate as migrateSqlite } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/postgres-js";
import { migrate as migratePg } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { createPrivateFile, makePrivateDir } from "../private-files.js";
import * as pgSchema from "./schema.pg.js";
import * as sqliteSchema from "./schema.sqlite.js";
import { LOCK_IDS } from "./lock-ids.js";

export type Tables = typeof sqliteSchema;
/** The one query type all domain code is written against (see README.md for why the SQLite one). */
export type Db = BetterSQLite3Database<Tables>;

type PgTables = typeof pgSchema;
/** Whether A and B are one type, not merely assignable one way. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** The tables that one dialect lacks, or whose rows or inserts have another TypeScript shape in it. */
type ShapeMismatch = {
  [K in keyof Tables | keyof PgTables]: K extends keyof Tables & keyof PgTables
    ? [Same<Tables[K]["$inferSelect"], PgTables[K]["$inferSelect"]>, Same<Tables[K]["$inferInsert"], PgTables[K]["$inferInsert"]>] extends [true, true]
      ? never
      : K
    : K;
}[keyof Tables | keyof PgTables];
// The compile-time half of what the casts in openPostgres rely on: a table named here fails the build.
// The SQL half (column types, nullability, defaults, indexes) is schema-parity.test.ts.
true satisfies [ShapeMismatch] extends [never] ? true : ShapeMismatch;

export interface Database {
  dialect: "sqlite" | "postgres";
  /** The query builder. Always `await` it; never `.get()`, `.all()`, `.run()` (SQLite-only). */
  db: Db;
  /** The tables of the open dialect. Queries must use these, not an import of one schema file. */
  t: Tables;
  /**
   * Whether this process holds the lock `key` among every process on the database, taking it when
   * free: PostgreSQL's session advisory lock on a connection kept for it (lost with the process or the
   * connection, so a survivor takes it at its next call). SQLite: always, one process by design.
   */
  holdsLock(key: number): Promise<boolean>;
  /** Lets the lock go, if held, for another process to take. */
  releaseLock(key: number): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  sqlitePath: string;
  /** Sees every statement the query builder sends (query-plans.test.ts explains them); none in production. */
  logger?: Logger;
}

// Migrations ship in the package: `src/db` and `dist/db` are both two levels below it.
const MIGRATIONS = fileURLToPath(new URL("../../drizzle/", import.meta.url));

/** Opens the control plane's database and brings its schema up to date. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.databaseUrl && /^postgres(ql)?:\/\//.test(opts.databaseUrl)) return openPostgres(opts.databaseUrl, opts.logger);
  return openSqlite(opts.sqlitePath, opts.logger);
}

function openSqlite(path: string, logger?: Logger): Database {
  // Private from the first byte: the file holds password and token hashes (SQLite gives -wal and
  // -shm the database file's mode).
  makePrivateDir(dirname(path));
  createPrivateFile(path);
  const client = new BetterSqlite3(path);
  // WAL lets the CLI read while `serve` writes; busy_timeout covers their short overlaps.
  client.pragma("journal_mode = WAL");
  client.pragma("busy_timeout = 5000");
  client.pragma("foreign_keys = ON");
  const db = drizzleSqlite({ client, schema: sqliteSchema, ...(logger ? { logger } : {}) });
  migrateSqlite(db, { migrationsFolder: `${MIGRATIONS}sqlite` });
  return {
    dialect: "sqlite",
    db,
    holdsLock: async () => true,
    releaseLock: async () => {},
    t: sqliteSchema,
    close: async () => {
      client.close();
    },
  };
}

async function openPostgres(url: string, logger?: Logger): Promise<Database> {
  const client = postgres(url, { max: 10, onnotice: () => {} });
  const pg = drizzlePg({ client, schema: pgSchema, ...(logger ? { logger } : {}) });
  const lock = await client.reserve();
  try {
    await lock`select pg_advisory_lock(${LOCK_IDS.migration})`;
    await migratePg(pg, { migrationsFolder: `${MIGRATIONS}pg` });
  } finally {
    await lock`select pg_advisory_unlock(${LOCK_IDS.migration})`;
    lock.release();
  }
  const locks = advisoryLocks(client);
  return {
    dialect: "postgres",
    // The two casts that let every query be written once: the PostgreSQL db and tables typed as the
    // SQLite ones. They hold because both schemas declare the same tables, columns and TypeScript
    // shapes (checked at compile time above and by schema-parity.test.ts), and the domain code keeps
    // to builder calls whose behaviour is identical on both drivers (select/insert/update/delete,
    // where, returning, onConflictDoNothing, all awaited). `t` hands out the pg tables so values
    // still go through pg's own column mappers (bigint strings become numbers).
    db: pg as unknown as Db,
    t: pgSchema as unknown as Tables,
    ...locks,
    close: async () => {
      // A reserved connection would hold client.end() to its timeout.
      locks.releaseAll();
      await client.end({ timeout: 5 });
    },
  };
}

/**
 * Session advisory locks, each on a connection reserved while it is held. Checked on each call with
 * a round trip on that connection: a connection that died took the lock with it, and PostgreSQL
 * may already have given it to another process.
 */
function advisoryLocks(client: postgres.Sql): Pick<Database, "holdsLock" | "releaseLock"> & { releaseAll(): void } {
  const held = new Map<number, postgres.ReservedSql>();
  const drop = (key: number) => {
    held.get(key)?.release();
    held.delete(key);
  };
  // One check per key at a time: two racing checks would each reserve a connection, and the second
  // session would be refused the lock the first one holds.
  const checking = new Map<number, Promise<boolean>>();
  const check = async (key: number): Promise<boolean> => {
    const mine = held.get(key);
    if (mine) {
      const alive = await mine`select 1`.then(
        () => true,
        () => false,
      );
      if (alive) return true;
      drop(key);
    }
    const conn = await client.reserve();
    const [row] = await conn`select pg_try_advisory_lock(${key}) as locked`.catch((err: unknown) => {
      conn.release();
      throw err;
    });
    if (row?.locked === true) {
      held.set(key, conn);
      return true;
    }
    conn.release();
    return false;
  };
  return {
    holdsLock(key) {
      let pending = checking.get(key);
      if (!pending) {
        pending = check(key).finally(() => checking.delete(key));
        checking.set(key, pending);
      }
      return pending;
    },
    async releaseLock(key) {
      const mine = held.get(key);
      if (!mine) return;
      await mine`select pg_advisory_unlock(${key})`.catch(() => {});
      drop(key);
    },
    /** Back to the pool without unlocking: the pool's end closes the sessions, which frees the locks. */
    releaseAll() {
      for (const key of [...held.keys()]) drop(key);
    },
  };
}
