import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { systemClock } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { type Database, openDatabase } from "../db/index.js";

export const DIALECTS = ["sqlite", "postgres"] as const;
export type Dialect = (typeof DIALECTS)[number];

const PG_ADMIN_URL = process.env.HOLDFAST_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  dir: string;
  databaseUrl: string | undefined;
  sqlitePath: string;
  database: Database;
  ctx: DbContext;
  cleanup(): Promise<void>;
}

/** A fresh, migrated database: a SQLite file in a temp dir, or a uniquely named PostgreSQL database. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "holdfast-cp-"));
  const sqlitePath = join(dir, "holdfast.db");
  let databaseUrl: string | undefined;
  let dropDb = async () => {};
  if (dialect === "postgres") {
    const name = `holdfast_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    await admin.end();
    databaseUrl = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
    dropDb = async () => {
      const a = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    };
  }
  const database = await openDatabase({ databaseUrl, sqlitePath });
  return {
    dir,
    databaseUrl,
    sqlitePath,
    database,
    ctx: { database, clock: systemClock },
    async cleanup() {
      await database.close();
      await dropDb();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
