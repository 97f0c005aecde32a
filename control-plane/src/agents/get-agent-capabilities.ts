import type { CommandData } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { askAgent } from "./ask-agent.js";

/** What the agent can back up: each engine with its tool's version (or that it is missing), and its codecs; asked live. */
export async function getAgentCapabilities(ctx: AppContext, agentId: string): Promise<CommandData<"capabilities">> {
  return askAgent(ctx, agentId, "capabilities", {});
}
