import type { UpdateAgentBody } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { getAgent } from "./get-agent.js";
import { type AgentView, showAgent } from "./list-agents.js";

/**
 * `PATCH /agents/:id`: an operator's settings of an agent. A new upload cap is stored, then handed
 * to the uploads this process is receiving from the agent, which adopt it from their next bytes
 * (other replicas' uploads within CAP_REFRESH_MS, `bandwidth/transfer-caps.ts`).
 */
export async function updateAgent(ctx: Pick<AppContext, "database" | "clock" | "bandwidth">, agentId: string, body: UpdateAgentBody): Promise<AgentView> {
  await getAgent(ctx, agentId);
  if (body.transferCapMiBps !== undefined) {
    const { db, t } = ctx.database;
    await db.update(t.agents).set({ transferCapMiBps: body.transferCapMiBps }).where(eq(t.agents.id, agentId));
    ctx.bandwidth.set(`agent:${agentId}`, body.transferCapMiBps);
  }
  return showAgent(ctx, agentId);
}
