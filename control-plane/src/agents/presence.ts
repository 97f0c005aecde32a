import { and, eq, ne } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";

type AgentContact = Partial<Pick<Tables["agents"]["$inferInsert"], "status" | "version" | "hostname" | "protocolVersion" | "statusReason">>;

/**
 * What the agent told at hello, written with the time it was seen; a revoked agent stays revoked. With
 * `generation`, only while that session is the agent's current one (a replaced session writes nothing).
 */
async function recordAgentContact(ctx: DbContext, agentId: string, contact: AgentContact, generation?: number): Promise<boolean> {
  const { db, t } = ctx.database;
  const written = await db
    .update(t.agents)
    .set({ ...contact, lastSeenAt: ctx.clock.now().getTime() })
    .where(and(eq(t.agents.id, agentId), ne(t.agents.status, "revoked"), generation === undefined ? undefined : eq(t.agents.linkGeneration, generation)))
    .returning({ id: t.agents.id });
  return written.length > 0;
}

/**
 * helloAck arrived: the agent is online. False when the session's `generation` was replaced meanwhile
 * (the agent connected again, here or on another replica): nothing written.
 */
export async function markAgentOnline(
  ctx: DbContext,
  agentId: string,
  info: { agentVersion: string; hostname: string; protocolVersion: number },
  generation?: number,
): Promise<boolean> {
  return recordAgentContact(ctx, agentId, { status: "online", version: info.agentVersion, hostname: info.hostname, protocolVersion: info.protocolVersion, statusReason: null }, generation);
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

/** The session ended. With `generation`, only if no newer session of the agent (on any replica) took over. */
export async function markAgentOffline(ctx: DbContext, agentId: string, generation?: number): Promise<void> {
  const { db, t } = ctx.database;
  await db
    .update(t.agents)
    .set({ status: "offline" })
    .where(and(eq(t.agents.id, agentId), eq(t.agents.status, "online"), generation === undefined ? undefined : eq(t.agents.linkGeneration, generation)));
}

export async function touchAgent(ctx: DbContext, agentId: string): Promise<void> {
  const { db, t } = ctx.database;
  await db.update(t.agents).set({ lastSeenAt: ctx.clock.now().getTime() }).where(eq(t.agents.id, agentId));
}

