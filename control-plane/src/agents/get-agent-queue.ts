import type { CommandData } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { askAgent } from "./ask-agent.js";

/** The agent's own queue (running slot, queued runs in order, maxQueueSize): asked live, never cached. */
export async function getAgentQueue(ctx: AppContext, agentId: string): Promise<CommandData<"getExecutionQueue">> {
  return askAgent(ctx, agentId, "getExecutionQueue", {});
}
