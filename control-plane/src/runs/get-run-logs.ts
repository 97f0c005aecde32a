import type { CommandData } from "@holdfast/shared";
import { askAgent } from "../agents/ask-agent.js";
import type { AppContext } from "../context.js";
import { getRunRow } from "./get-run.js";

/** The run's log lines, which live on its agent: asked live (503 AGENT_OFFLINE while it is away). */
export async function getRunLogs(ctx: AppContext, runId: string): Promise<CommandData<"getRunLogs">> {
  const run = await getRunRow(ctx, runId);
  return askAgent(ctx, run.agentId, "getRunLogs", { runId: run.id });
}
