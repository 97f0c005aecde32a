import { and, eq, ne } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { notify } from "./notify.js";

/** What the link tells notifications about agents (context.ts `NotificationHooks`). */
export interface AgentPresenceAlerts {
  offline(agentId: string): void;
  online(agentId: string): void;
  /** After start-up every agent is offline until it connects: each one's wait starts now. */
  start(): Promise<void>;
  close(): void;
}

type PresenceContext = Pick<AppContext, "database" | "clock" | "log" | "link" | "notifications">;

/**
 * "Agent offline" once an agent stays away longer than the threshold (a restart or a network blip
 * says nothing), "agent back" when it returns after such an alert. The wait is a timer in this
 * process; a control plane restarted meanwhile starts every agent's wait again.
 */
export function createAgentPresenceAlerts(ctx: PresenceContext, thresholdMs: number): AgentPresenceAlerts {
  const waits = new Map<string, () => void>();
  const conditionKey = (agentId: string) => `agent:${agentId}`;

  async function agentOf(agentId: string): Promise<{ name: string; status: string } | undefined> {
    const { db, t } = ctx.database;
    return (await db.select({ name: t.agents.name, status: t.agents.status }).from(t.agents).where(and(eq(t.agents.id, agentId), ne(t.agents.status, "revoked"))).limit(1))[0];
  }

  async function alertIfStillAway(agentId: string): Promise<void> {
    waits.delete(agentId);
    if (ctx.link.isOnline(agentId)) return;
    const agent = await agentOf(agentId);
    // Online in the database: another control-plane replica holds its link.
    if (agent === undefined || agent.status === "online") return;
    const { name } = agent;
    const minutes = Math.round(thresholdMs / 60_000);
    await notify(ctx, {
      kind: "agent.offline",
      subject: { agentId },
      conditionKey: conditionKey(agentId),
      title: `Agent ${name} is offline`,
      text: `The agent ${name} (${agentId}) has not been connected for ${minutes >= 1 ? `${minutes} min` : `${thresholdMs} ms`}. Its backups cannot run until it is back.`,
    });
  }

  return {
    offline(agentId) {
      waits.get(agentId)?.();
      waits.set(agentId, ctx.clock.setTimeout(() => void alertIfStillAway(agentId), thresholdMs));
    },
    online(agentId) {
      waits.get(agentId)?.();
      waits.delete(agentId);
      void (async () => {
        const name = (await agentOf(agentId))?.name ?? agentId;
        await notify(ctx, { kind: "agent.back", subject: { agentId }, conditionKey: conditionKey(agentId), title: `Agent ${name} is back online`, text: `The agent ${name} (${agentId}) connected again.` });
      })().catch((err: unknown) => ctx.log.error({ err, agentId }, "could not report the agent back"));
    },
    async start() {
      const { db, t } = ctx.database;
      for (const { id } of await db.select({ id: t.agents.id }).from(t.agents).where(ne(t.agents.status, "revoked"))) {
        if (!ctx.link.isOnline(id) && !waits.has(id)) this.offline(id);
      }
    },
    close() {
      for (const cancel of waits.values()) cancel();
      waits.clear();
    },
  };
}
