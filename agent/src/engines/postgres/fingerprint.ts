import { HoldfastError } from "@holdfast/shared/protocol";
import type { Fingerprint } from "../types.js";

export const FINGERPRINT_METHOD = "per table: row count and the sum of each row's md5 (first 64 bits), order-independent";

/**
 * For every table that holds rows (partitions included, partitioned parents have none of their own):
 * one JSON line `[name, rows, checksum]`. Summing per-row hashes needs no ordering and no memory
 * beyond one row, so it runs on tables of any size; `\gexec` runs the generated per-table queries.
 */
export const FINGERPRINT_SQL = `SELECT format('SELECT json_build_array(%L, count(*), coalesce(sum((''x'' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0)::text) FROM %I.%I t', n.nspname || '.' || c.relname, n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
ORDER BY 1 \\gexec`;

/** The JSON lines FINGERPRINT_SQL printed, as a Fingerprint. */
export function parseFingerprint(out: string): Fingerprint {
  const items: Fingerprint["items"] = {};
  for (const line of out.split("\n")) {
    if (line.trim() === "") continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new HoldfastError("INTERNAL_ERROR", "Unexpected output of the fingerprint query");
    }
    const [name, rows, checksum] = row as [string, number, string];
    items[name] = { rows: Number(rows), checksum: String(checksum) };
  }
  return { method: FINGERPRINT_METHOD, items };
}
