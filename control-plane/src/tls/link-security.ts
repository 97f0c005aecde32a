import type { IncomingMessage } from "node:http";
import type { BlockList } from "node:net";
import { eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { clientInfo, directFromLoopback } from "../http/client-address.js";

export type LinkSecurity = "tls" | "loopback" | "insecure";

/**
 * How an agent's socket reached us: TLS (served here, or a trusted proxy's X-Forwarded-Proto https),
 * plain from this host, or plain across a network (an agent enrolled with --insecure: the console flags it).
 */
export function linkSecurityOf(req: IncomingMessage, proxies: BlockList | null): LinkSecurity {
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(",") : v;
  };
  if (clientInfo(req.socket, header, proxies).tls) return "tls";
  return directFromLoopback(req.socket, proxies) ? "loopback" : "insecure";
}

export async function recordLinkSecurity(ctx: DbContext, agentId: string, security: LinkSecurity): Promise<void> {
  const { db, t } = ctx.database;
  await db.update(t.agents).set({ linkSecurity: security }).where(eq(t.agents.id, agentId));
}
