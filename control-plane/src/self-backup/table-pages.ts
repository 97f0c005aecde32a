import { and, asc, type Column, count, eq, getTableColumns, getTableName, gt, or, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db, Tables } from "../db/index.js";
import { EXPORTED_TABLES } from "./tables.js";

/** Rows read per query: big enough to be cheap, small enough that a page of audit rows is a few MiB at most. */
export const PAGE_ROWS = 500;

export interface TableRef {
  /** The SQL name, as the export file names it (`api_tokens`). */
  name: string;
  /** Typed as SQLite's, as every table of `Database.t` is (db/README.md). */
  table: SQLiteTable;
  keys: Column[];
  /** The keys' property names, in the same order. */
  keyNames: string[];
}

/** The exported tables of the open dialect, in export order. */
export function exportedTables(t: Tables): TableRef[] {
  return EXPORTED_TABLES.map(({ table, keys }) => {
    const tbl = t[table] as SQLiteTable;
    const columns = getTableColumns(tbl) as Record<string, Column>;
    return { name: getTableName(tbl), table: tbl, keys: keys.map((k) => columns[k]!), keyNames: [...keys] };
  });
}

export async function countRows(db: Db, ref: TableRef): Promise<number> {
  const [row] = await db.select({ n: count() }).from(ref.table);
  return Number(row?.n ?? 0);
}

/**
 * Every row of the table, a page at a time in key order: each page starts after the last key of the
 * one before (keyset paging), so no page is read twice and none costs more than the first.
 */
export async function* tablePages(db: Db, ref: TableRef): AsyncGenerator<Array<Record<string, unknown>>> {
  let after: unknown[] | null = null;
  for (;;) {
    const query = db.select().from(ref.table);
    const page = (await (after ? query.where(afterKey(ref.keys, after)) : query)
      .orderBy(...ref.keys.map((k) => asc(k)))
      .limit(PAGE_ROWS)) as Array<Record<string, unknown>>;
    if (page.length === 0) return;
    yield page;
    if (page.length < PAGE_ROWS) return;
    const last = page[page.length - 1]!;
    after = ref.keyNames.map((k) => last[k]);
  }
}

/** `(k1, k2) > (v1, v2)` spelled out, which both dialects understand the same way. */
function afterKey(keys: Column[], values: unknown[]): SQL {
  const [first, ...rest] = keys;
  const head = gt(first!, values[0]);
  if (rest.length === 0) return head;
  return or(head, and(eq(first!, values[0]), afterKey(rest, values.slice(1))))!;
}
