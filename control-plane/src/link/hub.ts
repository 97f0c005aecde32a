import { CLOSE_CODES, type CommandData, type CommandPayload, type CommandType, HoldfastError } from "@holdfast/shared";
import type { WebSocket } from "ws";
import { markAgentOffline } from "../agents/presence.js";
import type { AgentLink, AppContext } from "../context.js";
import { type LinkSecurity, recordLinkSecurity } from "../tls/link-security.js";
import { pushPins } from "../tls/push-pins.js";
import { AgentSession } from "./session.js";

/**
 * The registry of live sessions: at most one per agent. A second authenticated connection of the
 * same agent replaces the first (4409), which is what a restarted agent looks like; a key cloned
 * onto two hosts shows up as sessions that keep replacing each other in the log.
 */
export class LinkHub implements AgentLink {
  private readonly sessions = new Map<string, AgentSession>();

  constructor(private readonly ctx: AppContext) {}

  /** Adopts a freshly authenticated socket. */
  open(agentId: string, ws: WebSocket, security?: LinkSecurity): AgentSession {
    if (security) {
      recordLinkSecurity(this.ctx, agentId, security).catch((err: unknown) => this.ctx.log.error({ err, agentId }, "could not record the link's security"));
      if (security === "insecure") this.ctx.log.warn({ agentId }, "agent connected over plain ws:// from another host (enrolled with --insecure)");
    }
    const session = new AgentSession(this.ctx, agentId, ws, {
      onReady: () => {
        void pushPins(this.ctx, agentId);
        this.ctx.puller.onAgentOnline(agentId);
        this.ctx.scheduler?.onAgentOnline(agentId);
        this.ctx.notifications?.agentOnline(agentId);
      },
      onClose: async (s) => {
        if (this.sessions.get(agentId) !== s) return;
        this.sessions.delete(agentId);
        await markAgentOffline(this.ctx, agentId).catch((err: unknown) => this.ctx.log.error({ err, agentId }, "could not mark the agent offline"));
        this.ctx.notifications?.agentOffline(agentId);
      },
    });
    const previous = this.sessions.get(agentId);
    this.sessions.set(agentId, session);
    if (previous) {
      this.ctx.log.warn({ agentId, previous: previous.sessionId, next: session.sessionId }, "agent connected again; closing its older session");
      previous.close(CLOSE_CODES.replaced, "replaced by a newer session");
    }
    session.start().catch((err: unknown) => {
      this.ctx.log.error({ err, agentId }, "could not start the agent session");
      ws.close(1011, "internal error");
    });
    return session;
  }

  isOnline(agentId: string): boolean {
    return this.sessions.get(agentId)?.isReady ?? false;
  }

  sendCommand<T extends CommandType>(agentId: string, type: T, payload: CommandPayload<T>, opts?: { idempotencyKey?: string }): Promise<CommandData<T>> {
    const session = this.sessions.get(agentId);
    if (!session?.isReady) return Promise.reject(new HoldfastError("AGENT_OFFLINE", `Agent ${agentId} is not connected`, { agentId }));
    return session.sendCommand(type, payload, opts);
  }

  disconnect(agentId: string, code: number, reason: string): void {
    this.sessions.get(agentId)?.close(code, reason);
  }

  /** Closes every session; a peer that does not finish the close handshake within 2 s is cut. */
  async closeAll(code: number, reason: string): Promise<void> {
    const sessions = [...this.sessions.values()];
    for (const session of sessions) session.close(code, reason);
    const cut = setTimeout(() => sessions.forEach((s) => s.terminate()), 2000);
    await Promise.all(sessions.map((s) => s.whenClosed));
    clearTimeout(cut);
  }
}
