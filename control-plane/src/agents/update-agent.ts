import type { UpdateAgentBody } from "@holdfast/shared";
import { assertTimeZone } from "../schedules/cron.js";
import { eq } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { getAgent } from "./get-agent.js";
import { type AgentView, showAgent } from "./list-agents.js";

/**
 * `PATCH /agents/:id`: an operator's settings of an agent. A new upload cap is stored, then handed
 * to the uploads this process is receiving from the agent, which adopt it from their next bytes
 * (other replicas' uploads within CAP_REFRESH_MS, `bandwidth/transfer-caps.ts`). Blackout windows
 * and their zone are read by the next firing-loop pass (every replica's: it reads them with the
 * schedules) and by the next manual backup. The audit trail records the fields sent.
 */
export async function updateAgent(ctx: Pick<AppContext, "database" | "clock" | "bandwidth">, agentId: string, body: UpdateAgentBody): Promise<AgentView> {
  await getAgent(ctx, agentId);
  const { db, t } = ctx.database;
  if (body.timezone !== undefined) assertTimeZone(body.timezone);
  if (body.blackout !== undefined || body.timezone !== undefined) {
    const set: { blackout?: string | null; timezone?: string } = {};
    if (body.blackout !== undefined) set.blackout = body.blackout.length > 0 ? JSON.stringify(body.blackout) : null;
    if (body.timezone !== undefined) set.timezone = body.timezone;
    await db.update(t.agents).set(set).where(eq(t.agents.id, agentId));
  }
  if (body.transferCapMiBps !== undefined) {
    await db.update(t.agents).set({ transferCapMiBps: body.transferCapMiBps }).where(eq(t.agents.id, agentId));
    ctx.bandwidth.set(`agent:${agentId}`, body.transferCapMiBps);
  }
  return showAgent(ctx, agentId);
}
