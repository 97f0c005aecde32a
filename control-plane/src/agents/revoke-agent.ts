import { CLOSE_CODES } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { getAgent } from "./get-agent.js";

/**
 * Revokes an agent: its key is refused from now on (403 at the upgrade) and its live socket, if
 * any, is closed at once with 4403. The key stays on record so the refusal can say "revoked".
 */
export async function revokeAgent(ctx: Pick<AppContext, "database" | "clock" | "link">, agentId: string): Promise<void> {
  await getAgent(ctx, agentId);
  const { db, t } = ctx.database;
  await db.update(t.agents).set({ status: "revoked", revokedAt: ctx.clock.now().getTime() }).where(eq(t.agents.id, agentId));
  ctx.link.disconnect(agentId, CLOSE_CODES.revoked, "agent revoked");
}
