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
/** Any fixed number: replicas starting together take turns at migrating. */
const MIGRATION_LOCK_ID = 727_001;

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
    await lock`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await migratePg(pg, { migrationsFolder: `${MIGRATIONS}pg` });
  } finally {
    await lock`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
    lock.release();
  }
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
    close: async () => {
      await client.end({ timeout: 5 });
    },
  };
}
