import { and, eq, ne } from "drizzle-orm";
import type { DbContext } from "../context.js";

/** helloAck arrived: the agent is online (a revoked agent stays revoked). */
export async function markAgentOnline(
  ctx: DbContext,
  agentId: string,
  info: { agentVersion: string; hostname: string; protocolVersion: number },
): Promise<void> {
  const { db, t } = ctx.database;
  await db
    .update(t.agents)
    .set({
      status: "online",
      version: info.agentVersion,
      hostname: info.hostname,
      protocolVersion: info.protocolVersion,
      statusReason: null,
      lastSeenAt: ctx.clock.now().getTime(),
    })
    .where(and(eq(t.agents.id, agentId), ne(t.agents.status, "revoked")));
}

/**
 * The agent speaks another protocol major: it stays `incompatible`, with the reason, until it
 * connects with a compatible one (a revoked agent stays revoked).
 */
export async function markAgentIncompatible(
  ctx: DbContext,
  agentId: string,
  info: { protocolVersion: number; agentVersion?: string; reason: string },
): Promise<void> {
  const { db, t } = ctx.database;
  await db
    .update(t.agents)
    .set({
      status: "incompatible",
      statusReason: info.reason,
      protocolVersion: info.protocolVersion,
      ...(info.agentVersion !== undefined ? { version: info.agentVersion } : {}),
      lastSeenAt: ctx.clock.now().getTime(),
    })
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
