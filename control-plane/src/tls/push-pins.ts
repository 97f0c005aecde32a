import type { AppContext } from "../context.js";
import { pinsToPush } from "./server-pins.js";

/**
 * After an agent's hello: tells it every pin of the served chain and of the next key, over the link
 * it already trusts, so a certificate renewed with HOLDFAST_TLS_NEXT_KEY strands no agent. Nothing
 * to push behind a proxy without HOLDFAST_PUBLIC_PINS. A failure is logged: the next session tries again.
 */
export async function pushPins(ctx: AppContext, agentId: string): Promise<void> {
  const pins = ctx.serverPins ? pinsToPush(ctx.serverPins()) : [];
  if (pins.length === 0) return;
  try {
    const { added } = await ctx.link.sendCommand(agentId, "updatePins", { pins });
    if (added.length > 0) ctx.log.info({ agentId, added }, "agent took new TLS pins");
  } catch (err) {
    ctx.log.warn({ agentId, err: { message: (err as Error).message, code: (err as { code?: string }).code } }, "could not send the TLS pins to the agent");
  }
}
