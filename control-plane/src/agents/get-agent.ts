import { HoldfastError } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";

export type AgentRow = Tables["agents"]["$inferSelect"];

/** The agent row, or AGENT_NOT_FOUND. */
export async function getAgent(ctx: DbContext, agentId: string): Promise<AgentRow> {
  const { db, t } = ctx.database;
  const rows = await db.select().from(t.agents).where(eq(t.agents.id, agentId)).limit(1);
  if (!rows[0]) throw new HoldfastError("AGENT_NOT_FOUND", `No agent ${agentId}`, { agentId });
  return rows[0];
}
