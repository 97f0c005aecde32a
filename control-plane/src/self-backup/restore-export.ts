import { HoldfastError } from "@holdfast/shared";
import type { Database, Db, Tables } from "../db/index.js";
import type { ExportHeader } from "./format.js";
import { readSelfExport } from "./read-export.js";
import { databaseMigration } from "./schema-version.js";
import { countRows, exportedTables } from "./table-pages.js";
import { LEFT_OUT_TABLES } from "./tables.js";
import { inWriteTransaction } from "./transactions.js";

export interface RestoreOptions {
  identity?: string | undefined;
  /** Replace what the database holds instead of refusing a non-empty one. */
  force: boolean;
}

export interface RestoreSummary {
  header: ExportHeader;
  tables: Array<{ name: string; rows: number }>;
}

/**
 * Loads a verified export into the database in one transaction. The caller has read the whole file
 * once already (readSelfExport, touching nothing); this second read checks it all again as it
 * inserts, and any failure, a changed file included, rolls everything back.
 */
export async function restoreSelfExport(database: Database, file: string, expected: ExportHeader, opts: RestoreOptions): Promise<RestoreSummary> {
  const ours = await databaseMigration(database);
  if (ours !== expected.migration) {
    throw new HoldfastError(
      "PRECONDITION_FAILED",
      `The export was made at schema migration ${expected.migration} (Holdfast ${expected.holdfastVersion}); this database is at ${ours}: ` +
        `restore it with Holdfast ${expected.holdfastVersion} into an empty database, then upgrade (serve migrates it on start)`,
    );
  }
  const refs = exportedTables(database.t);
  const byName = new Map(refs.map((r) => [r.name, r]));
  const loaded = new Map<string, number>();
  await inWriteTransaction(database, async (db) => {
    const held = [];
    for (const ref of refs) {
      const n = await countRows(db, ref);
      if (n > 0) held.push(`${ref.name}: ${n}`);
    }
    if (held.length > 0 && !opts.force) {
      throw new HoldfastError(
        "RESTORE_TARGET_NOT_EMPTY",
        `The database already holds data (${held.slice(0, 4).join(", ")}${held.length > 4 ? ", …" : ""}): restore-self fills a new, empty database; --force replaces everything in it`,
      );
    }
    await clearTables(db, database.t, opts.force);
    await readSelfExport(file, {
      identity: opts.identity,
      onHeader: (header) => {
        // The file changed since it was verified: the rows would not be the ones checked.
        if (JSON.stringify(header) !== JSON.stringify(expected)) throw new HoldfastError("CHECKSUM_MISMATCH", "The export changed while it was being restored; nothing was restored");
      },
      onRows: async (table, rows) => {
        await db.insert(byName.get(table)!.table).values(rows as never);
        loaded.set(table, (loaded.get(table) ?? 0) + rows.length);
      },
    });
    // The triggers wrote a live event per restored run, delivery and agent: noise, not news.
    await db.delete(database.t.liveEvents);
  });
  return { header: expected, tables: refs.map((r) => ({ name: r.name, rows: loaded.get(r.name) ?? 0 })) };
}

/**
 * Empties what the export does not carry (a start of `serve` leaves a setup token), and with
 * `everything` the exported tables too, each table after the ones that reference it.
 */
async function clearTables(db: Db, t: Tables, everything: boolean): Promise<void> {
  for (const key of Object.keys(LEFT_OUT_TABLES) as Array<keyof typeof LEFT_OUT_TABLES>) await db.delete(t[key]);
  if (!everything) return;
  for (const ref of exportedTables(t).reverse()) await db.delete(ref.table);
}
