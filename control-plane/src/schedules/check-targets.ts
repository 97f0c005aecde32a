import { HoldfastError } from "@holdfast/shared";
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { type DatasourceView, getDatasource } from "../datasources/get-datasource.js";

/**
 * The datasource a schedule backs up, refused when its agent was revoked: such a schedule could
 * only ever record missed firings, so nothing is stored. An agent that is merely offline is fine: its firings wait for it (`pending`).
 */
export async function usableDatasource(ctx: DbContext, datasourceId: string): Promise<DatasourceView> {
  const datasource = await getDatasource(ctx, datasourceId);
  const { db, t } = ctx.database;
  const agent = (await db.select({ status: t.agents.status }).from(t.agents).where(eq(t.agents.id, datasource.agentId)).limit(1))[0];
  if (!agent || agent.status === "revoked") {
    throw new HoldfastError("AGENT_REVOKED", `The agent of datasource ${datasource.id} was revoked; it cannot run schedules`, {
      agentId: datasource.agentId,
      datasourceId: datasource.id,
    });
  }
  return datasource;
}

/** Every id names a destination that exists and is not deleted, else DESTINATION_NOT_FOUND listing the others. */
export async function assertDestinationsExist(ctx: DbContext, destinationIds: string[]): Promise<void> {
  const missing = await missingDestinations(ctx, destinationIds);
  if (missing.length > 0) throw new HoldfastError("DESTINATION_NOT_FOUND", `No destination ${missing.join(", ")}`, { destinationIds: missing });
}

/** The ids among these that name no live destination (unknown or deleted). */
export async function missingDestinations(ctx: DbContext, destinationIds: string[]): Promise<string[]> {
  const ids = [...new Set(destinationIds)];
  if (ids.length === 0) return [];
  const { db, t } = ctx.database;
  const found = await db
    .select({ id: t.destinations.id })
    .from(t.destinations)
    .where(and(inArray(t.destinations.id, ids), isNull(t.destinations.deletedAt)));
  return ids.filter((id) => !found.some((f) => f.id === id));
}
