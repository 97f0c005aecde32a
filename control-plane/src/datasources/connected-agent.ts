import { HoldfastError } from "@holdfast/shared";
import { type AgentRow, getAgent } from "../agents/get-agent.js";
import type { AppContext } from "../context.js";

/**
 * The agent that keeps a datasource's config, connected now: a datasource's config (with its
 * password) lives on its agent, so creating, changing or deleting one needs it. AGENT_REVOKED or
 * AGENT_OFFLINE otherwise, `why` saying what waits for it.
 */
export async function connectedAgent(ctx: Pick<AppContext, "database" | "clock" | "link">, agentId: string, why = ""): Promise<AgentRow> {
  const agent = await getAgent(ctx, agentId);
  if (agent.status === "revoked") throw new HoldfastError("AGENT_REVOKED", `Agent ${agent.id} was revoked${why}`, { agentId: agent.id });
  if (!ctx.link.isOnline(agent.id)) throw new HoldfastError("AGENT_OFFLINE", `Agent ${agent.id} is not connected${why}`, { agentId: agent.id });
  return agent;
}
