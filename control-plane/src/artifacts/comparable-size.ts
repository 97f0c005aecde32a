import { and, desc, eq, isNotNull, isNull, ne } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { RunRow } from "../runs/get-run.js";

/** The share added to the last comparable artifact's size when reserving spool room for a pull during staging. */
export const EARLY_PULL_MARGIN = 0.25;

/**
 * The size of the datasource's last completed backup with the same options, or null (a first run):
 * what a pull that starts while the run still stages reserves in the spool, plus a margin.
 */
export async function comparableSize(ctx: Pick<AppContext, "database">, run: RunRow): Promise<number | null> {
  const { db, t } = ctx.database;
  const rows = await db
    .select({ sizeBytes: t.runs.sizeBytes })
    .from(t.runs)
    .where(
      and(
        eq(t.runs.datasourceId, run.datasourceId),
        eq(t.runs.kind, "backup"),
        eq(t.runs.state, "completed"),
        run.options === null ? isNull(t.runs.options) : eq(t.runs.options, run.options),
        isNotNull(t.runs.sizeBytes),
        ne(t.runs.id, run.id),
      ),
    )
    .orderBy(desc(t.runs.finishedAt))
    .limit(1);
  return rows[0]?.sizeBytes ?? null;
}
