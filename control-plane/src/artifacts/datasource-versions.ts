import { inArray } from "drizzle-orm";
import type { DbContext } from "../context.js";

/** Past this many ids the whole table is read (a row per datasource): 2,000 bound parameters cost more than the rows. */
const MANY = 200;

/**
 * The datasource_versions counters of these datasources (0 for one without a row). Triggers bump a
 * datasource's counter with every write to what good-backup.ts and retention's deliveredBackups read
 * of its backups (db/schema/sqlite/catalogue.ts), so whatever was computed from those at a version
 * is still right while the counter stands. Read the version before computing: a write in between
 * leaves the answer marked older than it is, and it is computed again, never kept stale.
 */
export async function datasourceVersions(ctx: DbContext, datasourceIds: readonly string[]): Promise<(id: string) => number> {
  const { db, t } = ctx.database;
  const v = t.datasourceVersions;
  const rows = datasourceIds.length === 0 ? [] : await db.select().from(v).where(datasourceIds.length > MANY ? undefined : inArray(v.datasourceId, [...datasourceIds]));
  const versions = new Map(rows.map((r) => [r.datasourceId, Number(r.version)]));
  return (id) => versions.get(id) ?? 0;
}
