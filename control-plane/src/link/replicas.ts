import { newId } from "@holdfast/shared";
import { and, eq, inArray, isNull, lt, notInArray, or, sql } from "drizzle-orm";
import type { AppContext, DbContext } from "../context.js";
import { type PeriodicPass, startPeriodicPass } from "../timers/periodic-pass.js";

/** How often a running control plane refreshes its row in control_planes. */
export const REPLICA_HEARTBEAT_MS = 5_000;
/** A replica silent this long is taken for dead: the agents it held are offline. */
export const REPLICA_STALE_MS = 30_000;

/** A new id for this control-plane process: one per start, so a restarted replica is a new one. */
export const newReplicaId = (): string => newId("cpr");

/**
 * Adds this process to the control planes sharing the database. On SQLite there is only ever one
 * process, so what earlier processes left (their rows, agents they marked online) is cleared at once;
 * on PostgreSQL other replicas may be alive, and only what a silent one held is cleared (sweep below).
 */
export async function registerReplica(ctx: DbContext, replicaId: string): Promise<void> {
  const { db, t, dialect } = ctx.database;
  const now = ctx.clock.now().getTime();
  if (dialect === "sqlite") await db.delete(t.controlPlanes);
  await db.insert(t.controlPlanes).values({ id: replicaId, startedAt: now, seenAt: now });
}

/** The heartbeat: this replica is alive. Re-inserts its row if another replica swept it away. */
export async function refreshReplica(ctx: DbContext, replicaId: string): Promise<void> {
  const { db, t } = ctx.database;
  const now = ctx.clock.now().getTime();
  const updated = await db.update(t.controlPlanes).set({ seenAt: now }).where(eq(t.controlPlanes.id, replicaId)).returning({ id: t.controlPlanes.id });
  if (updated.length === 0) await db.insert(t.controlPlanes).values({ id: replicaId, startedAt: now, seenAt: now });
}

/** A clean stop: this replica's sessions are closed (and their agents marked offline) before this. */
export async function removeReplica(ctx: DbContext, replicaId: string): Promise<void> {
  const { db, t } = ctx.database;
  await db.delete(t.controlPlanes).where(eq(t.controlPlanes.id, replicaId));
}

/**
 * Agents still marked online by a replica that stopped refreshing (killed, cut off), or by none, are
 * offline: nobody holds their socket. Forgets the dead replicas' rows. Returns the agents it changed.
 */
export async function markOrphanedAgentsOffline(ctx: DbContext): Promise<string[]> {
  const { db, t } = ctx.database;
  const staleBefore = ctx.clock.now().getTime() - REPLICA_STALE_MS;
  await db.delete(t.controlPlanes).where(lt(t.controlPlanes.seenAt, staleBefore));
  const alive = (await db.select({ id: t.controlPlanes.id }).from(t.controlPlanes)).map((r) => r.id);
  const orphaned = await db
    .update(t.agents)
    .set({ status: "offline" })
    .where(and(eq(t.agents.status, "online"), or(isNull(t.agents.linkReplica), alive.length > 0 ? notInArray(t.agents.linkReplica, alive) : undefined)))
    .returning({ id: t.agents.id });
  return orphaned.map((r) => r.id);
}

/**
 * The sessions of this replica that must close: an agent whose link generation moved on (a newer
 * session opened, here or on another replica) is `replaced`; one revoked through any replica is
 * `revoked` (the replica that took the revocation closes only the sockets it holds).
 */
export async function sessionsToClose(ctx: DbContext, sessions: ReadonlyMap<string, number>): Promise<{ agentId: string; why: "replaced" | "revoked" }[]> {
  const { db, t } = ctx.database;
  const ids = [...sessions.keys()];
  const closing: { agentId: string; why: "replaced" | "revoked" }[] = [];
  // Chunks keep each statement under both dialects' bound-parameter limits, whatever the fleet's size.
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .select({ id: t.agents.id, generation: t.agents.linkGeneration, status: t.agents.status })
      .from(t.agents)
      .where(inArray(t.agents.id, ids.slice(i, i + 500)));
    for (const row of rows) {
      if (row.status === "revoked") closing.push({ agentId: row.id, why: "revoked" });
      else if (row.generation !== sessions.get(row.id)) closing.push({ agentId: row.id, why: "replaced" });
    }
  }
  return closing;
}

/**
 * A new session of the agent opened on this replica: its generation is bumped (the fence every other
 * session of the agent, on any replica, is checked against) and this replica named as its holder.
 */
export async function claimAgentLink(ctx: DbContext, agentId: string, replicaId: string): Promise<number> {
  const { db, t } = ctx.database;
  const [row] = await db
    .update(t.agents)
    .set({ linkGeneration: sql`${t.agents.linkGeneration} + 1`, linkReplica: replicaId })
    .where(eq(t.agents.id, agentId))
    .returning({ generation: t.agents.linkGeneration });
  return row?.generation ?? 0;
}

/**
 * While the control plane runs: refreshes this replica's row and marks offline the agents that dead
 * replicas held (their "agent offline" alert wait starts then). close() stops it and removes the row.
 */
export function startReplicaHeartbeat(ctx: Pick<AppContext, "database" | "clock" | "log" | "notifications">, replicaId: string): PeriodicPass<string[]> {
  const pass = startPeriodicPass(ctx, {
    name: "replica heartbeat",
    everyMs: REPLICA_HEARTBEAT_MS,
    pass: async () => {
      await refreshReplica(ctx, replicaId);
      return markOrphanedAgentsOffline(ctx);
    },
    report: (orphaned) => {
      if (orphaned.length > 0) ctx.log.warn({ agents: orphaned.length }, "agents held by a control plane that stopped answering are offline");
      for (const agentId of orphaned) ctx.notifications?.agentOffline(agentId);
    },
  });
  return {
    runNow: pass.runNow,
    async close() {
      await pass.close();
      // Not fatal: a row left behind goes stale and is swept by the others within REPLICA_STALE_MS.
      await removeReplica(ctx, replicaId).catch((err: unknown) => ctx.log.warn({ err }, "could not remove this control plane from control_planes"));
    },
  };
}
