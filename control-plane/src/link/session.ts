import {
  type AckFrame,
  CLOSE_CODES,
  type AgentEventFrame,
  type CommandData,
  type CommandPayload,
  type CommandType,
  Commands,
  type HelloAckFrame,
  type HelloFrame,
  HoldfastError,
  makeRequest,
  newId,
  parseAgentFrame,
  parseCommandData,
  PROTOCOL_VERSION,
  protocolMismatch,
  type ResponseEnvelope,
} from "@holdfast/shared";
import type { WebSocket } from "ws";
import { markAgentOnline, touchAgent } from "../agents/presence.js";
import type { AppContext } from "../context.js";
import type { Logger } from "../logger.js";
import { ingestEvent, lastAckedSequence } from "../runs/ingest-event.js";
import { refuseIncompatible } from "./refuse-incompatible.js";

interface Pending {
  type: CommandType;
  resolve(data: unknown): void;
  reject(err: HoldfastError): void;
  cancelTimer(): void;
}

export interface SessionHooks {
  /** helloAck arrived: commands may flow. */
  onReady(session: AgentSession): void;
  onClose(session: AgentSession): Promise<void>;
}

/** Missed pongs after which the socket is taken for dead (docs/link.md §6). */
const MAX_MISSED_PONGS = 2;

/**
 * One authenticated WebSocket of one agent: the hello exchange, heartbeats, commands awaiting their
 * responses, and events handed to ingestion in order. It exists only after the upgrade was
 * authenticated, and it sends commands only after helloAck.
 */
export class AgentSession {
  readonly sessionId = newId("ses");
  /** The agent's link generation this session claimed (link/replicas.ts); set by the hub before start(). */
  generation: number | undefined;
  private ready = false;
  /**
   * Set when helloAck arrives; settles once the session is ready (the agent marked online). The
   * agent replays its outbox right after helloAck: frames arriving in between wait on it, in order,
   * instead of being dropped (they were, and a run completed during an outage stayed `running`).
   */
  private helloAcked: Promise<void> | null = null;
  private closed = false;
  private readonly pending = new Map<string, Pending>();
  private missedPongs = 0;
  private stopHeartbeat: () => void = () => {};
  private events: Promise<void> = Promise.resolve();
  /** The sequence the last resync asked a replay after: one request per gap, not one per event. */
  private resyncAfter: number | undefined;
  private readonly log: Logger;
  private markClosed!: () => void;
  /** Settles once the socket has closed and the session has cleaned up. */
  readonly whenClosed = new Promise<void>((resolve) => {
    this.markClosed = resolve;
  });

  constructor(
    private readonly ctx: AppContext,
    readonly agentId: string,
    private readonly ws: WebSocket,
    private readonly hooks: SessionHooks,
  ) {
    this.log = ctx.log.child({ agentId, sessionId: this.sessionId });
    ws.on("message", (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on("pong", () => this.onPong());
    ws.on("close", (code) => this.onClose(code));
    ws.on("error", (err) => this.log.warn({ err: err.message }, "agent socket error"));
  }

  get isReady(): boolean {
    return this.ready && !this.closed;
  }

  /** Sends hello with the sequence the agent's replay starts after, and starts the heartbeat. */
  async start(): Promise<void> {
    const hello: HelloFrame = {
      type: "hello",
      protocolVersion: PROTOCOL_VERSION,
      sessionId: this.sessionId,
      serverTime: this.ctx.clock.now().toISOString(),
      lastAckedSequence: await lastAckedSequence(this.ctx, this.agentId),
    };
    this.send(hello);
    this.scheduleHeartbeat();
  }

  terminate(): void {
    this.ws.terminate();
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  sendCommand<T extends CommandType>(type: T, payload: CommandPayload<T>, opts: { idempotencyKey?: string } = {}): Promise<CommandData<T>> {
    if (!this.isReady) return Promise.reject(offline(this.agentId));
    const requestId = newId("req");
    const idempotencyKey = opts.idempotencyKey ?? (Commands[type].mutating ? newId("idem") : undefined);
    const frame = makeRequest(type, payload, { requestId, now: this.ctx.clock.now(), ...(idempotencyKey ? { idempotencyKey } : {}) });
    return new Promise<CommandData<T>>((resolve, reject) => {
      const cancelTimer = this.ctx.clock.setTimeout(() => {
        this.pending.delete(requestId);
        reject(new HoldfastError("AGENT_TIMEOUT", `Agent ${this.agentId} did not answer ${type} in time`, { agentId: this.agentId, requestId }));
      }, this.ctx.env.commandTimeoutMs);
      this.pending.set(requestId, { type, resolve: resolve as (d: unknown) => void, reject, cancelTimer });
      const runId = (payload as { runId?: unknown }).runId;
      this.log.debug({ requestId, type, ...(typeof runId === "string" ? { runId } : {}) }, "command sent");
      this.ws.send(JSON.stringify(frame), (err) => {
        if (!err) return;
        this.settle(requestId)?.reject(offline(this.agentId));
      });
    });
  }

  private send(frame: HelloFrame | AckFrame): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private scheduleHeartbeat(): void {
    this.stopHeartbeat = this.ctx.clock.setTimeout(() => {
      if (this.closed) return;
      if (this.missedPongs >= MAX_MISSED_PONGS) {
        this.log.warn({ missedPongs: this.missedPongs }, "agent stopped answering pings; closing its socket");
        this.ws.terminate();
        return;
      }
      this.missedPongs += 1;
      this.ws.ping();
      this.scheduleHeartbeat();
    }, this.ctx.env.heartbeatMs);
  }

  private onPong(): void {
    this.missedPongs = 0;
    touchAgent(this.ctx, this.agentId).catch((err: unknown) => this.log.warn({ err }, "could not record last_seen_at"));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      // Artifact bytes travel by HTTP; a binary frame on the link is a protocol error.
      this.log.warn("binary frame on the agent link; closing");
      this.ws.close(1003, "binary frames are not accepted");
      return;
    }
    const parsed = parseAgentFrame(data.toString("utf8"));
    if (!parsed.ok) {
      this.log.warn({ code: parsed.error.code, message: parsed.error.message }, "dropped a malformed frame from the agent");
      return;
    }
    const { value } = parsed;
    if (value.kind === "incompatible") {
      const reason = protocolMismatch(value.protocolVersion, "control plane") ?? "incompatible protocol";
      const { protocolVersion, agentVersion } = value;
      void refuseIncompatible(this.ctx, this.ws, this.agentId, { protocolVersion, reason, ...(agentVersion !== undefined ? { agentVersion } : {}) });
    } else if (value.kind === "helloAck") this.onHelloAck(value.frame);
    else if (this.ready) this.dispatch(value);
    else if (this.helloAcked) void this.helloAcked.then(() => this.ready && this.dispatch(value));
    else this.log.warn({ kind: value.kind }, "frame before helloAck dropped");
  }

  private dispatch(value: { kind: "response"; frame: ResponseEnvelope } | { kind: "event"; frame: AgentEventFrame }): void {
    if (value.kind === "response") this.onResponse(value.frame);
    else this.onEvent(value.frame);
  }

  private onHelloAck(frame: HelloAckFrame): void {
    if (this.helloAcked) return;
    this.helloAcked = markAgentOnline(this.ctx, this.agentId, { agentVersion: frame.agentVersion, hostname: frame.hostname, protocolVersion: frame.protocolVersion }, this.generation).then(
      (current) => {
        if (this.closed) return;
        if (!current) {
          this.log.warn("a newer session of this agent took over before this one was ready; closing it");
          this.close(CLOSE_CODES.replaced, "replaced by a newer session");
          return;
        }
        this.ready = true;
        this.log.info({ agentVersion: frame.agentVersion, lastSequence: frame.lastSequence }, "agent session ready");
        this.hooks.onReady(this);
      },
      (err: unknown) => {
        this.log.error({ err }, "could not mark the agent online; closing");
        this.ws.close(1011, "internal error");
      },
    );
  }

  private settle(requestId: string): Pending | undefined {
    const p = this.pending.get(requestId);
    if (!p) return undefined;
    this.pending.delete(requestId);
    p.cancelTimer();
    return p;
  }

  private onResponse(frame: ResponseEnvelope): void {
    const p = this.settle(frame.requestId);
    if (!p) {
      this.log.warn({ requestId: frame.requestId, type: frame.type }, "response to no pending command (late or unknown)");
      return;
    }
    if (frame.type !== `${p.type}Response`) {
      p.reject(new HoldfastError("INTERNAL_ERROR", `Agent answered ${p.type} with ${frame.type}`, { agentId: this.agentId }));
      return;
    }
    if (!frame.success || frame.statusCode >= 300) {
      p.reject(
        frame.error
          ? HoldfastError.from(frame.error)
          : new HoldfastError("INTERNAL_ERROR", `Agent failed ${p.type} without an error body`, { agentId: this.agentId }),
      );
      return;
    }
    try {
      p.resolve(parseCommandData(p.type, frame.data));
    } catch (err) {
      // The agent broke the contract; that is not the API caller's validation failure.
      const details = err instanceof HoldfastError ? err.details : undefined;
      p.reject(new HoldfastError("INTERNAL_ERROR", `Agent's ${p.type} answer does not match protocol v1`, { agentId: this.agentId, ...details }));
    }
  }

  private onEvent(frame: AgentEventFrame): void {
    // One at a time, in arrival order, so acknowledgements go out in sequence.
    this.events = this.events.then(async () => {
      if (this.closed) return;
      try {
        const { ackSequence, gap } = await ingestEvent({ ...this.ctx, log: this.log }, this.agentId, frame);
        this.send({ type: "ack", sequence: ackSequence });
        if (gap) this.requestResync(ackSequence);
      } catch (err) {
        // Not acknowledged: the agent keeps the event and replays it on the next session.
        this.log.error({ err, eventId: frame.eventId, type: frame.type }, "could not store an agent event");
      }
    });
  }

  /**
   * An event arrived past a hole in the sequence: ask the agent to replay everything after the last
   * contiguous one. Not awaited, since the replayed events queue behind this very handler.
   */
  private requestResync(afterSequence: number): void {
    if (this.resyncAfter === afterSequence) return;
    this.resyncAfter = afterSequence;
    this.log.info({ afterSequence }, "gap in the event sequence; asking the agent to replay");
    this.sendCommand("resync", { afterSequence }).then(
      (data) => this.log.debug({ afterSequence, replayed: data.replayed }, "resync answered"),
      (err: unknown) => {
        // Ask again when the next event shows the gap is still open.
        if (this.resyncAfter === afterSequence) this.resyncAfter = undefined;
        this.log.warn({ afterSequence, code: err instanceof HoldfastError ? err.code : undefined }, "resync failed");
      },
    );
  }

  private onClose(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.ready = false;
    this.stopHeartbeat();
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(offline(this.agentId));
    this.log.info({ code }, "agent session closed");
    void this.hooks.onClose(this).finally(() => this.markClosed());
  }
}

function offline(agentId: string): HoldfastError {
  return new HoldfastError("AGENT_OFFLINE", `Agent ${agentId} is not connected`, { agentId });
}
