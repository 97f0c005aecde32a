import { HoldfastError, type DatasourceConnection, type Engine } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { DbContext } from "../context.js";

export interface DatasourceView {
  id: string;
  agentId: string;
  name: string;
  engine: Engine;
  /** The redacted copy: the password, if any, is a mask. The agent alone holds the real one. */
  connection: DatasourceConnection;
}

/** The datasource, or DATASOURCE_NOT_FOUND. */
export async function getDatasource(ctx: DbContext, datasourceId: string): Promise<DatasourceView> {
  const { db, t } = ctx.database;
  const row = (await db.select().from(t.datasources).where(eq(t.datasources.id, datasourceId)).limit(1))[0];
  if (!row) throw new HoldfastError("DATASOURCE_NOT_FOUND", `No datasource ${datasourceId}`, { datasourceId });
  return toView(row);
}

export function toView(row: { id: string; agentId: string; name: string; engine: string; connectionRedacted: string }): DatasourceView {
  return {
    id: row.id,
    agentId: row.agentId,
    name: row.name,
    engine: row.engine as Engine,
    connection: JSON.parse(row.connectionRedacted) as DatasourceConnection,
  };
}
