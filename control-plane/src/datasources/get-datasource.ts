import { HoldfastError, type DatasourceConnection, type Engine, type ToolPriority } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";

export type DatasourceRow = Tables["datasources"]["$inferSelect"];

export interface DatasourceView {
  id: string;
  agentId: string;
  name: string;
  engine: Engine;
  /** The redacted copy: the password, if any, is a mask. The agent alone holds the real one. */
  connection: DatasourceConnection;
  /** A run longer than this is stopped (RUN_TIMEOUT). */
  maxDurationMinutes: number;
  /** Niceness and I/O class of its tools on the agent's host; null: the agent's defaults. */
  priority: ToolPriority | null;
  tags: string[];
  note: string | null;
  /** Minutes between health checks; null: the control plane's default. */
  healthIntervalMinutes: number | null;
  createdAt: string;
}

/**
 * The datasource row, or DATASOURCE_NOT_FOUND. A retired one is found only when `retired` says so
 * (its runs, backups and restores from them still refer to it); otherwise the refusal says it was
 * deleted and that its backups remain.
 */
export async function findDatasourceRow(ctx: DbContext, datasourceId: string, opts: { retired?: boolean } = {}): Promise<DatasourceRow> {
  const { db, t } = ctx.database;
  const row = (await db.select().from(t.datasources).where(eq(t.datasources.id, datasourceId)).limit(1))[0];
  if (!row) throw new HoldfastError("DATASOURCE_NOT_FOUND", `No datasource ${datasourceId}`, { datasourceId });
  if (row.deletedAt !== null && !opts.retired) {
    const when = new Date(row.deletedAt).toISOString();
    throw new HoldfastError(
      "DATASOURCE_NOT_FOUND",
      `Datasource ${datasourceId} ("${row.name}") was deleted at ${when}; its backups stay listed, downloadable and restorable into another datasource`,
      { datasourceId, deletedAt: when },
    );
  }
  return row;
}

/** The live datasource, or DATASOURCE_NOT_FOUND. */
export async function getDatasource(ctx: DbContext, datasourceId: string): Promise<DatasourceView> {
  return toView(await findDatasourceRow(ctx, datasourceId));
}

export function toView(row: DatasourceRow): DatasourceView {
  return {
    id: row.id,
    agentId: row.agentId,
    name: row.name,
    engine: row.engine as Engine,
    connection: JSON.parse(row.connectionRedacted) as DatasourceConnection,
    maxDurationMinutes: row.maxDurationMinutes,
    priority: row.priority === null ? null : (JSON.parse(row.priority) as ToolPriority),
    tags: JSON.parse(row.tags) as string[],
    note: row.note,
    healthIntervalMinutes: row.healthIntervalMinutes ?? null,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}
