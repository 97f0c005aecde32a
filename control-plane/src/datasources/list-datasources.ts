import type { ListDatasourcesQuery } from "@holdfast/shared";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { type DatasourceView, toView } from "./get-datasource.js";

/** Live datasources, oldest first; `agentId` and `tag` (exact) narrow the list. */
export async function listDatasources(ctx: DbContext, filter: ListDatasourcesQuery = {}): Promise<DatasourceView[]> {
  const { db, t } = ctx.database;
  const rows = await db
    .select()
    .from(t.datasources)
    .where(and(isNull(t.datasources.deletedAt), filter.agentId ? eq(t.datasources.agentId, filter.agentId) : undefined))
    .orderBy(asc(t.datasources.createdAt), asc(t.datasources.id));
  // Tags are a JSON list in a text column: matched here, over the few datasources an installation has.
  return rows.map(toView).filter((d) => filter.tag === undefined || d.tags.includes(filter.tag));
}
