import { asc } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { type DatasourceView, toView } from "./get-datasource.js";

export async function listDatasources(ctx: DbContext): Promise<DatasourceView[]> {
  const { db, t } = ctx.database;
  const rows = await db.select().from(t.datasources).orderBy(asc(t.datasources.createdAt), asc(t.datasources.id));
  return rows.map(toView);
}
