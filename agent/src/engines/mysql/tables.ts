import { HoldfastError, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import type { TableSelection } from "./args.js";
import { runSql, type SqlSession } from "./query.js";
import { lazyRequire } from "../../lazy-require.js";

/** Loaded on the first match: the idle agent never matches a pattern. */
const picomatch = lazyRequire<typeof import("picomatch")>("picomatch");

/** Tables and views of the connection's database (DATABASE(): its name never enters the SQL text). */
export const LIST_TABLES_SQL = "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME;\n";

/**
 * A MySQL table pattern is a table name of the datasource's database, or a picomatch glob over those
 * names (`film*`, `tmp_?`, `{a,b}`), the syntax the files engine uses. A name that equals the
 * pattern always matches, so a table literally called `a[1]` needs no escaping.
 */
export function tableMatches(name: string, pattern: string): boolean {
  return name === pattern || picomatch().isMatch(name, pattern, { dot: true });
}

/**
 * The include/exclude patterns resolved against the tables that exist now: `only` lists what an
 * include keeps (empty: everything), `ignore` what an exclude drops. An include that matches
 * nothing fails, as pg_dump's does, rather than dumping an empty database and calling it a backup.
 */
export function selectTables(names: string[], filter: ResolvedBackupOptions["tables"]): TableSelection {
  const excluded = (n: string) => filter.exclude.some((p) => tableMatches(n, p));
  if (filter.include.length === 0) return { only: [], ignore: names.filter(excluded) };
  const only = names.filter((n) => filter.include.some((p) => tableMatches(n, p)) && !excluded(n));
  if (only.length === 0) {
    throw new HoldfastError("DUMP_FAILED", "No table matches tables.include (after tables.exclude)", { include: filter.include, exclude: filter.exclude });
  }
  return { only, ignore: [] };
}

/** Lists the tables only when a filter asks for it; no filter, no extra connection. */
export async function resolveTableSelection(session: SqlSession, filter: ResolvedBackupOptions["tables"] | undefined): Promise<TableSelection> {
  if (!filter || (filter.include.length === 0 && filter.exclude.length === 0)) return { only: [], ignore: [] };
  const rows = await runSql(session, LIST_TABLES_SQL, { code: "DUMP_FAILED", what: "Listing the tables to filter (mariadb)" });
  return selectTables(
    rows.map((r) => r[0]!),
    filter,
  );
}
