import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { HoldfastError } from "@holdfast/shared";
import { sql } from "drizzle-orm";
import type { PgDatabase } from "drizzle-orm/pg-core";
import type { Database } from "../db/index.js";

// The migrations ship beside src/ and dist/, two levels up from this folder (as db/index.ts finds them).
const JOURNALS = fileURLToPath(new URL("../../drizzle/", import.meta.url));

type JournalEntry = { idx: number; when: number; tag: string };

function journal(dialect: Database["dialect"]): JournalEntry[] {
  const file = `${JOURNALS}${dialect === "sqlite" ? "sqlite" : "pg"}/meta/_journal.json`;
  return (JSON.parse(readFileSync(file, "utf8")) as { entries: JournalEntry[] }).entries;
}

/**
 * The tag of the newest migration applied to the open database (`0017_agent_link`). Both dialects'
 * migrations are generated together with the same tags, so the tag names one schema on either.
 * drizzle records each applied migration by its journal time: a time this build's journal does not
 * know means a newer Holdfast migrated the database, whose columns this one would not read or write.
 */
export async function databaseMigration(database: Database): Promise<string> {
  const newest = await newestAppliedTime(database);
  const entries = journal(database.dialect);
  const entry = entries.find((e) => e.when === newest);
  if (!entry) {
    const ours = entries.at(-1)?.tag ?? "none";
    throw new HoldfastError(
      "PRECONDITION_FAILED",
      `The database was migrated by a newer Holdfast than this one (whose newest migration is ${ours}): run backup-self and restore-self with that newer version`,
    );
  }
  return entry.tag;
}

async function newestAppliedTime(database: Database): Promise<number | null> {
  if (database.dialect === "sqlite") {
    const rows = database.db.all<{ newest: number | null }>(sql`select max(created_at) as newest from __drizzle_migrations`);
    return rows[0]?.newest ?? null;
  }
  const pg = database.db as unknown as PgDatabase<never>;
  const rows = (await pg.execute(sql`select max(created_at)::text as newest from drizzle.__drizzle_migrations`)) as unknown as Array<{ newest: string | null }>;
  return rows[0]?.newest == null ? null : Number(rows[0].newest);
}
