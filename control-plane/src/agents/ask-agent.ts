import { type CommandData, type CommandPayload, type CommandType, HoldfastError } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { getAgent } from "./get-agent.js";

type AskContext = Pick<AppContext, "database" | "clock" | "link">;

/**
 * Sends a command to an enrolled agent and resolves with its validated answer. Refuses before
 * anything is sent: AGENT_NOT_FOUND (404), AGENT_REVOKED (403), AGENT_OFFLINE (503); the agent's own
 * errors come back with their catalog status.
 */
export async function askAgent<T extends CommandType>(
  ctx: AskContext,
  agentId: string,
  type: T,
  payload: CommandPayload<T>,
  opts?: { idempotencyKey?: string },
): Promise<CommandData<T>> {
  const agent = await getAgent(ctx, agentId);
  if (agent.status === "revoked") throw new HoldfastError("AGENT_REVOKED", `Agent ${agentId} was revoked`, { agentId });
  if (!ctx.link.isOnline(agentId)) throw new HoldfastError("AGENT_OFFLINE", `Agent ${agentId} is not connected`, { agentId });
  return ctx.link.sendCommand(agentId, type, payload, opts);
}
