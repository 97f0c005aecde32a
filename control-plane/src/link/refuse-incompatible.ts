import { CLOSE_CODES } from "@holdfast/shared";
import type { WebSocket } from "ws";
import { markAgentIncompatible } from "../agents/presence.js";
import type { AppContext } from "../context.js";

/** A WebSocket close reason is at most 123 UTF-8 bytes (RFC 6455 §5.5). */
function closeReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

/**
 * Refuses an agent of another protocol major: its row says `incompatible` with the reason (what the
 * console shows), then the socket closes with 4426 and the same reason (what the agent logs).
 */
export async function refuseIncompatible(
  ctx: AppContext,
  ws: WebSocket,
  agentId: string,
  info: { protocolVersion: number; agentVersion?: string; reason: string },
): Promise<void> {
  ctx.log.warn({ agentId, protocolVersion: info.protocolVersion, agentVersion: info.agentVersion, reason: info.reason }, "agent refused: incompatible protocol");
  try {
    await markAgentIncompatible(ctx, agentId, info);
  } catch (err) {
    ctx.log.error({ err, agentId }, "could not record the agent as incompatible");
  }
  if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(CLOSE_CODES.incompatible, closeReason(info.reason));
}
