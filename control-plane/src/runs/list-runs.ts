import type { ListRunsQuery } from "@holdfast/shared";
import { and, asc, desc, eq, gte, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { decodeRunCursor, encodeRunCursor } from "./run-cursor.js";
import { type RunView, toRunView } from "./get-run.js";

export interface RunPage {
  items: RunView[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/**
 * `GET /api/v1/runs`: runs newest first by (createdAt, id), filtered, a page at a time. The cursor
 * is the last row's key, so rows created while a client pages never shift a page: no duplicates,
 * no skips (keyset pagination, backed by runs_created_at_idx and, with a filter, that filter's
 * `(column, created_at, id)` index).
 */
export async function listRuns(ctx: DbContext, q: ListRunsQuery): Promise<RunPage> {
  const { db, t } = ctx.database;
  const r = t.runs;
  const where: (SQL | undefined)[] = [
    q.datasourceId ? eq(r.datasourceId, q.datasourceId) : undefined,
    q.agentId ? eq(r.agentId, q.agentId) : undefined,
    q.scheduleId ? eq(r.scheduleId, q.scheduleId) : undefined,
    q.state ? eq(r.state, q.state) : undefined,
    q.kind ? eq(r.kind, q.kind) : undefined,
    q.trigger ? eq(r.trigger, q.trigger) : undefined,
    q.from ? gte(r.createdAt, Date.parse(q.from)) : undefined,
    q.to ? lt(r.createdAt, Date.parse(q.to)) : undefined,
  ];
  if (q.cursor) {
    const c = decodeRunCursor(q.cursor);
    // A row-value comparison, not `created_at < c OR (created_at = c AND id < c.id)`: both dialects
    // read it as one range of the (…, created_at, id) index, so a deep page starts at the cursor
    // rather than filtering every newer row; the `<=` bounds the first column for a planner that
    // does not (query-plans.test.ts checks both).
    where.push(lte(r.createdAt, c.createdAt), sql`(${r.createdAt}, ${r.id}) < (${c.createdAt}, ${c.id})`);
  }
  // One row more than the page tells whether another page follows.
  const rows = await db
    .select()
    .from(r)
    .where(and(...where))
    .orderBy(desc(r.createdAt), desc(r.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const deliveries =
    page.length === 0
      ? []
      : await db
          .select({ runId: t.deliveries.runId, destinationId: t.deliveries.destinationId, state: t.deliveries.state, path: t.deliveries.path })
          .from(t.deliveries)
          .where(inArray(t.deliveries.runId, page.map((p) => p.id)))
          .orderBy(asc(t.deliveries.id));
  const last = page[page.length - 1];
  return {
    items: page.map((run) =>
      toRunView(
        run,
        deliveries.filter((d) => d.runId === run.id).map(({ destinationId, state, path }) => ({ destinationId, state, path })),
      ),
    ),
    nextCursor: rows.length > q.limit && last ? encodeRunCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}
