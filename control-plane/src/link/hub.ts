import { CLOSE_CODES, type CommandData, type CommandPayload, type CommandType, HoldfastError } from "@holdfast/shared";
import type { WebSocket } from "ws";
import { markAgentOffline } from "../agents/presence.js";
import { claimAgentLink, sessionsToClose } from "./replicas.js";
import { agentsHeldElsewhere, deliverRelayedCommands, relayCommand, remoteHolder } from "./relay.js";
import type { AgentLink, AppContext } from "../context.js";
import { type LinkSecurity, recordLinkSecurity } from "../tls/link-security.js";
import { pushPins } from "../tls/push-pins.js";
import { AgentSession } from "./session.js";

/** How often the hub checks that its sessions are still their agents' current ones (other replicas may have taken over). */
export const LINK_FENCE_CHECK_MS = 2_000;

/**
 * The registry of live sessions: at most one per agent, across every control-plane replica on the
 * database. A second authenticated connection of the same agent replaces the first (4409), which is
 * what a restarted agent looks like; a key cloned onto two hosts shows up as sessions that keep
 * replacing each other in the log. Each new session bumps the agent's link generation in the
 * database; a session on this replica whose generation moved on (a newer one opened on another
 * replica) is closed at the next fence check (checkFence, every LINK_FENCE_CHECK_MS from server.ts).
 */
export class LinkHub implements AgentLink {
  private readonly sessions = new Map<string, AgentSession>();
  /** Agents whose links other live replicas hold, as of the last refreshElsewhere(). */
  private heldElsewhere = new Set<string>();

  constructor(
    private readonly ctx: AppContext,
    private readonly replicaId: string,
  ) {}

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
        if (s.generation === undefined) return; // never claimed: the agent's state is some other session's
        await markAgentOffline(this.ctx, agentId, s.generation).catch((err: unknown) => this.ctx.log.error({ err, agentId }, "could not mark the agent offline"));
        this.ctx.notifications?.agentOffline(agentId);
      },
    });
    const previous = this.sessions.get(agentId);
    this.sessions.set(agentId, session);
    if (previous) {
      this.ctx.log.warn({ agentId, previous: previous.sessionId, next: session.sessionId }, "agent connected again; closing its older session");
      previous.close(CLOSE_CODES.replaced, "replaced by a newer session");
    }
    claimAgentLink(this.ctx, agentId, this.replicaId)
      .then((generation) => {
        session.generation = generation;
        return session.start();
      })
      .catch((err: unknown) => {
        this.ctx.log.error({ err, agentId }, "could not start the agent session");
        ws.close(1011, "internal error");
      });
    return session;
  }

  isOnline(agentId: string): boolean {
    return this.holdsLink(agentId) || this.heldElsewhere.has(agentId);
  }

  holdsLink(agentId: string): boolean {
    return this.sessions.get(agentId)?.isReady ?? false;
  }

  async sendCommand<T extends CommandType>(agentId: string, type: T, payload: CommandPayload<T>, opts?: { idempotencyKey?: string }): Promise<CommandData<T>> {
    const session = this.sessions.get(agentId);
    if (session?.isReady) return session.sendCommand(type, payload, opts);
    const holder = await remoteHolder(this.ctx, agentId, this.replicaId);
    if (holder === null) throw new HoldfastError("AGENT_OFFLINE", `Agent ${agentId} is not connected`, { agentId });
    return relayCommand(this.ctx, { agentId, replicaId: holder }, type, payload, { ...opts, timeoutMs: this.ctx.env.commandTimeoutMs });
  }

  /** Re-reads which agents other live replicas hold (isOnline's answer for them). */
  async refreshElsewhere(): Promise<void> {
    this.heldElsewhere = await agentsHeldElsewhere(this.ctx, this.replicaId);
  }

  /** Sends the commands other replicas wrote for the agents whose links this one holds (relay.ts). */
  deliverRelayed(): Promise<number> {
    return deliverRelayedCommands(this.ctx, this.replicaId, (agentId, type, payload, opts) => {
      const session = this.sessions.get(agentId);
      if (!session?.isReady) return Promise.reject(new HoldfastError("AGENT_OFFLINE", `Agent ${agentId} is not connected to this control plane any more`, { agentId }));
      return session.sendCommand(type, payload as never, opts);
    });
  }

  disconnect(agentId: string, code: number, reason: string): void {
    this.sessions.get(agentId)?.close(code, reason);
  }

  /**
   * Closes each session of this replica that a newer session of its agent, anywhere, replaced (4409),
   * or whose agent was revoked through another replica (4403).
   */
  async checkFence(): Promise<void> {
    const claimed = new Map<string, number>();
    for (const [agentId, session] of this.sessions) if (session.generation !== undefined) claimed.set(agentId, session.generation);
    for (const { agentId, why } of await sessionsToClose(this.ctx, claimed)) {
      const session = this.sessions.get(agentId);
      if (!session || session.generation !== claimed.get(agentId)) continue; // replaced here meanwhile
      if (why === "revoked") {
        this.ctx.log.warn({ agentId, sessionId: session.sessionId }, "the agent was revoked through another control plane; closing its session");
        session.close(CLOSE_CODES.revoked, "agent revoked");
      } else {
        this.ctx.log.warn({ agentId, sessionId: session.sessionId }, "the agent connected to another control plane; closing this session");
        session.close(CLOSE_CODES.replaced, "replaced by a newer session on another control plane");
      }
    }
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
