import { HoldfastError } from "@holdfast/shared";
import { and, eq, isNull, ne } from "drizzle-orm";
import type { DbContext } from "../context.js";

/**
 * A datasource's name is unique among its agent's live datasources: two "shop" on one host could not
 * be told apart in a run list or a restore form, and a retired one's name is free again. Checked
 * before anything is asked of the agent (`except`: the datasource being renamed); the partial unique
 * index on (agent_id, name) settles two writes racing past the check (`isUniqueViolation`).
 */
export async function assertNameFree(ctx: DbContext, agentId: string, name: string, except?: string): Promise<void> {
  const { db, t } = ctx.database;
  const [existing] = await db
    .select({ id: t.datasources.id })
    .from(t.datasources)
    .where(and(eq(t.datasources.agentId, agentId), eq(t.datasources.name, name), isNull(t.datasources.deletedAt), except ? ne(t.datasources.id, except) : undefined))
    .limit(1);
  if (existing) {
    throw new HoldfastError("ALREADY_EXISTS", `Agent ${agentId} already has a datasource named "${name}" (${existing.id})`, { agentId, name, datasourceId: existing.id });
  }
}
