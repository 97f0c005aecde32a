import { type CommandData, type CommandPayload, type CommandType, type ErrorBody, HoldfastError, newId, toErrorBody } from "@holdfast/shared";
import { and, eq, inArray, lt, ne } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { REPLICA_STALE_MS } from "./replicas.js";

/** How often an asking replica looks for its answer, and a holding replica for commands to send. */
export const RELAY_POLL_MS = 50;

type Answer = { data: unknown } | { error: ErrorBody };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The replica holding the agent's link, when it is another live one: the agent is online and the
 * holder refreshed its row recently. Null: nobody else holds it (offline, or held here).
 */
export async function remoteHolder(ctx: DbContext, agentId: string, replicaId: string): Promise<string | null> {
  const { db, t } = ctx.database;
  const [row] = await db.select({ status: t.agents.status, holder: t.agents.linkReplica }).from(t.agents).where(eq(t.agents.id, agentId)).limit(1);
  if (row?.status !== "online" || !row.holder || row.holder === replicaId) return null;
  const [alive] = await db.select({ seenAt: t.controlPlanes.seenAt }).from(t.controlPlanes).where(eq(t.controlPlanes.id, row.holder)).limit(1);
  return alive && alive.seenAt >= ctx.clock.now().getTime() - REPLICA_STALE_MS ? row.holder : null;
}

/**
 * The agents held by other live replicas: what `isOnline` answers for without a socket here. Read
 * by the replica heartbeat (every few seconds), so it may lag a connection or a drop by that much.
 */
export async function agentsHeldElsewhere(ctx: DbContext, replicaId: string): Promise<Set<string>> {
  const { db, t } = ctx.database;
  const since = ctx.clock.now().getTime() - REPLICA_STALE_MS;
  const alive = (await db.select({ id: t.controlPlanes.id, seenAt: t.controlPlanes.seenAt }).from(t.controlPlanes)).filter((r) => r.id !== replicaId && r.seenAt >= since).map((r) => r.id);
  if (alive.length === 0) return new Set();
  const rows = await db.select({ id: t.agents.id }).from(t.agents).where(and(eq(t.agents.status, "online"), inArray(t.agents.linkReplica, alive)));
  return new Set(rows.map((r) => r.id));
}

/**
 * Sends a command through the replica that holds the agent's link: written to link_commands, taken
 * and sent by the holder (deliverRelayedCommands), answered there; this side waits for the answer up
 * to `timeoutMs` and removes the row whatever happens. The answer is the agent's own, or its error.
 */
export async function relayCommand<T extends CommandType>(
  ctx: DbContext,
  to: { agentId: string; replicaId: string },
  type: T,
  payload: CommandPayload<T>,
  opts: { idempotencyKey?: string; timeoutMs: number },
): Promise<CommandData<T>> {
  const { db, t } = ctx.database;
  const id = newId("req");
  const now = ctx.clock.now().getTime();
  await db.insert(t.linkCommands).values({
    id,
    agentId: to.agentId,
    replicaId: to.replicaId,
    type,
    payload: JSON.stringify(payload),
    idempotencyKey: opts.idempotencyKey ?? null,
    state: "pending",
    answer: null,
    createdAt: now,
    expiresAt: now + opts.timeoutMs,
  });
  try {
    const deadline = Date.now() + opts.timeoutMs;
    while (Date.now() < deadline) {
      const [row] = await db.select({ state: t.linkCommands.state, answer: t.linkCommands.answer }).from(t.linkCommands).where(eq(t.linkCommands.id, id));
      if (row?.state === "answered" && row.answer !== null) {
        const answer = JSON.parse(row.answer) as Answer;
        if ("error" in answer) throw HoldfastError.from(answer.error);
        return answer.data as CommandData<T>;
      }
      await sleep(RELAY_POLL_MS);
    }
    throw new HoldfastError("AGENT_TIMEOUT", `Agent ${to.agentId} did not answer ${type} in time (through control plane ${to.replicaId})`, { agentId: to.agentId });
  } finally {
    await db.delete(t.linkCommands).where(eq(t.linkCommands.id, id));
  }
}

/**
 * The holder's side: takes the commands written for this replica and sends each over the agent's
 * socket (`send`: the hub's local send), writing the answer or the error back. Commands past their
 * expiry are skipped (their asker gave up) and old rows removed.
 */
export async function deliverRelayedCommands(
  ctx: DbContext,
  replicaId: string,
  send: (agentId: string, type: CommandType, payload: unknown, opts: { idempotencyKey?: string }) => Promise<unknown>,
): Promise<number> {
  const { db, t } = ctx.database;
  const now = ctx.clock.now().getTime();
  await db.delete(t.linkCommands).where(lt(t.linkCommands.expiresAt, now - 60_000));
  const taken = await db
    .update(t.linkCommands)
    .set({ state: "sent" })
    .where(and(eq(t.linkCommands.replicaId, replicaId), eq(t.linkCommands.state, "pending")))
    .returning();
  await Promise.all(
    taken
      .filter((c) => c.expiresAt > now)
      .map(async (c) => {
        let answer: Answer;
        try {
          const data = await send(c.agentId, c.type as CommandType, JSON.parse(c.payload), c.idempotencyKey ? { idempotencyKey: c.idempotencyKey } : {});
          answer = { data };
        } catch (err) {
          answer = { error: toErrorBody(err) };
        }
        await db
          .update(t.linkCommands)
          .set({ state: "answered", answer: JSON.stringify(answer) })
          .where(and(eq(t.linkCommands.id, c.id), ne(t.linkCommands.state, "answered")));
      }),
  );
  return taken.length;
}
