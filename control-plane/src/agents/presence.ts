import { and, eq, ne } from "drizzle-orm";
import type { DbContext } from "../context.js";

/** helloAck arrived: the agent is online (a revoked agent stays revoked). */
export async function markAgentOnline(ctx: DbContext, agentId: string, info: { agentVersion: string; hostname: string }): Promise<void> {
  const { db, t } = ctx.database;
  await db
    .update(t.agents)
    .set({ status: "online", version: info.agentVersion, hostname: info.hostname, lastSeenAt: ctx.clock.now().getTime() })
    .where(and(eq(t.agents.id, agentId), ne(t.agents.status, "revoked")));
}

export async function markAgentOffline(ctx: DbContext, agentId: string): Promise<void> {
  const { db, t } = ctx.database;
  await db.update(t.agents).set({ status: "offline" }).where(and(eq(t.agents.id, agentId), eq(t.agents.status, "online")));
}

export async function touchAgent(ctx: DbContext, agentId: string): Promise<void> {
  const { db, t } = ctx.database;
  await db.update(t.agents).set({ lastSeenAt: ctx.clock.now().getTime() }).where(eq(t.agents.id, agentId));
}

/**
 * At start-up no socket exists yet, so nothing is online. (With replicas this becomes per-replica
 * session bookkeeping; one process owns every socket for now.)
 */
export async function markAllAgentsOffline(ctx: DbContext): Promise<void> {
  const { db, t } = ctx.database;
  await db.update(t.agents).set({ status: "offline" }).where(eq(t.agents.status, "online"));
}
