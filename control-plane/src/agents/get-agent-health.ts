import type { CommandData } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { askAgent } from "./ask-agent.js";

/** The agent host's health as the agent reports it now (getServerHealth). */
export async function getAgentHealth(ctx: AppContext, agentId: string): Promise<CommandData<"getServerHealth">> {
  return askAgent(ctx, agentId, "getServerHealth", {});
}
