import type { Fingerprint } from "../types.js";
import { quoteIdent, runSql, type SqlSession } from "./query.js";

/** Base tables' columns in order (views derive from tables; sequences carry cache state, not data). */
export const LIST_COLUMNS_SQL = `SELECT c.TABLE_NAME, c.COLUMN_NAME, c.ORDINAL_POSITION FROM information_schema.COLUMNS c
JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED');
`;

export const FINGERPRINT_METHOD =
  "per table: row count, and the sum of every row's MD5 over its columns' MD5s (order-independent), read in one consistent snapshot";

/**
 * One row per table: its row count and two 64-bit halves of the summed row hashes. A row's hash is
 * the MD5 of its columns' MD5s (`N` for NULL), comma-joined: fixed-width parts, so no value can
 * imitate a column boundary, and no row string outgrows max_allowed_packet whatever its BLOBs.
 * SUM over BIGINT UNSIGNED is exact (DECIMAL): duplicate rows add up instead of cancelling (XOR would).
 */
export function tableChecksumSql(table: string, columns: string[]): string {
  const cols = columns.map((c) => `IFNULL(MD5(${quoteIdent(c)}), 'N')`).join(", ");
  return (
    "SELECT COUNT(*), COALESCE(SUM(CAST(CONV(LEFT(h, 16), 16, 10) AS UNSIGNED)), 0), COALESCE(SUM(CAST(CONV(RIGHT(h, 16), 16, 10) AS UNSIGNED)), 0) " +
    `FROM (SELECT MD5(CONCAT_WS(',', ${cols})) AS h FROM ${quoteIdent(table)}) AS holdfast_rows;`
  );
}

/** Columns per table, each table's in ordinal order (grouped by exact name: `A` and `a` may both exist). */
export function columnsByTable(rows: string[][]): Map<string, string[]> {
  const tables = new Map<string, { name: string; pos: number }[]>();
  for (const [table, column, pos] of rows) {
    const list = tables.get(table!) ?? [];
    list.push({ name: column!, pos: Number(pos) });
    tables.set(table!, list);
  }
  return new Map([...tables].map(([t, cols]) => [t, cols.sort((a, b) => a.pos - b.pos).map((c) => c.name)]));
}

/**
 * The database's fingerprint, keyed by table name alone so a scratch copy under another database
 * name compares equal. All tables are read in one `START TRANSACTION WITH CONSISTENT SNAPSHOT`, with
 * the session time zone pinned so TIMESTAMP columns read the same everywhere.
 */
export async function fingerprintDatabase(session: SqlSession): Promise<Fingerprint> {
  const what = "Fingerprinting the database (mariadb)";
  const tables = columnsByTable(await runSql(session, LIST_COLUMNS_SQL, { code: "DB_CONNECTION_TEST_FAILED", what }));
  const names = [...tables.keys()].sort();
  if (names.length === 0) return { method: FINGERPRINT_METHOD, items: {} };
  const sql = [
    "SET SESSION time_zone = '+00:00';",
    "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;",
    "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY;",
    ...names.map((t) => tableChecksumSql(t, tables.get(t)!)),
    "COMMIT;",
    "",
  ].join("\n");
  const rows = await runSql(session, sql, { code: "DB_CONNECTION_TEST_FAILED", what });
  if (rows.length !== names.length) throw new Error(`fingerprint: ${rows.length} result rows for ${names.length} tables`);
  const items: Fingerprint["items"] = {};
  names.forEach((t, i) => {
    const [count, high, low] = rows[i]!;
    items[t] = { rows: Number(count), checksum: `${high}:${low}` };
  });
  return { method: FINGERPRINT_METHOD, items };
}
