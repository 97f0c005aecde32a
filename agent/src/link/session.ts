import os from "node:os";
import { parseServerFrame, PROTOCOL_VERSION, protocolMismatch, type HelloAckFrame } from "@holdfast/shared/protocol";
import type { Logger } from "../log.js";
import { countUnacked, lastSequence, markAckedUpTo, readEventsAfter, toEventFrame } from "../store/outbox.js";
import type { AgentStore } from "../store/store.js";
import { AGENT_VERSION } from "../version.js";
import { answerRejection, type Dispatcher } from "./dispatch.js";
import type { LinkControl } from "./session-info.js";

export interface SessionDeps {
  store: AgentStore;
  dispatcher: Dispatcher;
  log: Logger;
  /** Sends one JSON frame; returns false when the socket is no longer open. */
  send(frame: object): boolean;
  /** Called once helloAck went out: the link is healthy (connect.ts resets its backoff). */
  onReady?(): void;
  /** The control plane's hello is of another protocol major: connect.ts closes and retries slowly. */
  refuse?(reason: string): void;
  hostname?: string;
}

/**
 * One authenticated socket's conversation (docs/link.md §3–5). Events flow strictly in sequence
 * order: after `hello` everything past the CP's lastAckedSequence is replayed, then new outbox
 * events follow as they are committed. Unacknowledged events stay in the outbox for the next session.
 */
export class LinkSession implements LinkControl {
  private ready = false;
  private sentUpTo = 0;
  private closed = false;
  private readonly unsubscribe: () => void;
  private loggedDrop = false;
  private session: { sessionId: string; connectedAt: string } | null = null;
  private ackWaiters: (() => void)[] = [];

  constructor(private readonly deps: SessionDeps) {
    this.unsubscribe = deps.store.onEvent(() => {
      if (this.ready) this.flush();
    });
  }

  handleText(text: string): void {
    const parsed = parseServerFrame(text);
    if (!parsed.ok) {
      const response = answerRejection(text, parsed);
      if (response) this.deps.send(response);
      else if (!this.loggedDrop) {
        // Once per session: a misbehaving peer must not flood the log.
        this.loggedDrop = true;
        this.deps.log.warn({ code: parsed.error.code, message: parsed.error.message }, "dropped an unreadable frame");
      }
      return;
    }
    const { value } = parsed;
    switch (value.kind) {
      case "incompatible": {
        // No helloAck: answering in our protocol would only be misread by the other major.
        const reason = protocolMismatch(value.protocolVersion, "agent") ?? "incompatible protocol";
        this.deps.refuse?.(reason);
        return;
      }
      case "hello": {
        const skewMs = Date.parse(value.frame.serverTime) - this.deps.store.clock.now().getTime();
        if (Math.abs(skewMs) > 10_000) this.deps.log.warn({ skewMs }, "clock differs from the control plane's by more than 10 s");
        // What the CP acknowledged is stored there: no need to keep it pending here.
        markAckedUpTo(this.deps.store, value.frame.lastAckedSequence);
        const ack: HelloAckFrame = {
          type: "helloAck",
          protocolVersion: PROTOCOL_VERSION,
          agentVersion: AGENT_VERSION,
          hostname: (this.deps.hostname ?? os.hostname()).slice(0, 255),
          lastSequence: lastSequence(this.deps.store),
        };
        if (!this.deps.send(ack)) return;
        this.session = { sessionId: value.frame.sessionId, connectedAt: this.deps.store.clock.now().toISOString() };
        this.ready = true;
        this.sentUpTo = value.frame.lastAckedSequence;
        this.flush();
        this.deps.onReady?.();
        return;
      }
      case "ack":
        markAckedUpTo(this.deps.store, value.frame.sequence);
        this.wakeAckWaiters();
        return;
      case "command": {
        const frame = value.frame;
        void this.deps.dispatcher.dispatch(frame, this).then(({ response, after }) => {
          if (this.closed) return;
          this.deps.send(response);
          after?.();
        });
        return;
      }
    }
  }

  sessionInfo(): { sessionId: string; connectedAt: string } | null {
    return this.session;
  }

  get isReady(): boolean {
    return this.ready && !this.closed;
  }

  /**
   * Shutdown: resolves true once every outbox event is acknowledged, false when `timeoutMs` passed on
   * the clock or the session closed first. Unacknowledged events stay in the outbox either way.
   */
  waitForAcks(timeoutMs: number): Promise<boolean> {
    const store = this.deps.store;
    if (!this.isReady) return Promise.resolve(countUnacked(store) === 0);
    this.flush();
    return new Promise((resolve) => {
      let settled = false;
      const cancel = store.clock.setTimeout(() => finish(false), timeoutMs);
      const finish = (v: boolean) => {
        if (settled) return;
        settled = true;
        cancel();
        resolve(v);
      };
      const check = () => {
        if (!store.db.open || countUnacked(store) === 0) return finish(true);
        if (!this.isReady) return finish(false);
        this.ackWaiters.push(check);
      };
      check();
    });
  }

  private wakeAckWaiters(): void {
    const waiters = this.ackWaiters;
    this.ackWaiters = [];
    for (const w of waiters) w();
  }

  /** resync: everything after `afterSequence`, acknowledged or not, in order. */
  replayAfter(afterSequence: number): number {
    this.sentUpTo = Math.min(this.sentUpTo, afterSequence);
    return this.flush();
  }

  /** Sends every committed event past what this session already sent. */
  private flush(): number {
    let count = 0;
    for (;;) {
      const batch = readEventsAfter(this.deps.store, this.sentUpTo, 500);
      if (batch.length === 0) return count;
      for (const event of batch) {
        if (this.closed || !this.deps.send(toEventFrame(event))) return count;
        this.sentUpTo = event.sequence;
        count++;
      }
    }
  }

  close(): void {
    this.closed = true;
    this.ready = false;
    this.unsubscribe();
    this.wakeAckWaiters();
  }
}
