import { and, eq, ne } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";

type AgentContact = Partial<Pick<Tables["agents"]["$inferInsert"], "status" | "version" | "hostname" | "protocolVersion" | "statusReason">>;

/** What the agent told at hello, written with the time it was seen; a revoked agent stays revoked. */
async function recordAgentContact(ctx: DbContext, agentId: string, contact: AgentContact): Promise<void> {
  const { db, t } = ctx.database;
  await db
    .update(t.agents)
    .set({ ...contact, lastSeenAt: ctx.clock.now().getTime() })
    .where(and(eq(t.agents.id, agentId), ne(t.agents.status, "revoked")));
}

/** helloAck arrived: the agent is online. */
export async function markAgentOnline(
  ctx: DbContext,
  agentId: string,
  info: { agentVersion: string; hostname: string; protocolVersion: number },
): Promise<void> {
  await recordAgentContact(ctx, agentId, { status: "online", version: info.agentVersion, hostname: info.hostname, protocolVersion: info.protocolVersion, statusReason: null });
}

/**
 * The agent speaks another protocol major: it stays `incompatible`, with the reason, until it
 * connects with a compatible one.
 */
export async function markAgentIncompatible(
  ctx: DbContext,
  agentId: string,
  info: { protocolVersion: number; agentVersion?: string; reason: string },
): Promise<void> {
  await recordAgentContact(ctx, agentId, {
    status: "incompatible",
    statusReason: info.reason,
    protocolVersion: info.protocolVersion,
    ...(info.agentVersion !== undefined ? { version: info.agentVersion } : {}),
  });
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
