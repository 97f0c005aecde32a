import { type LiveEventRoles, mayReceive, type ReadyEvent, type RecordedLiveEvent, type ResyncEvent, type Role } from "@holdfast/shared";

/** What the stream writes next. */
export type StreamItem =
  | { kind: "event"; event: RecordedLiveEvent | ResyncEvent | ReadyEvent }
  /** Nothing happened for a while: a comment keeps proxies from closing the idle connection. */
  | { kind: "keepalive" }
  | { kind: "closed" };

export type CloseReason = "client-gone" | "too-slow" | "server-stopping";

/** What a subscription needs from its hub: where the feed stands, and the next page of it. */
export interface SubscriptionSource {
  /** The newest id the hub has read and fanned out; everything after it will reach live subscribers. */
  readonly head: number;
  /** The oldest id still kept (0: none). */
  readonly floor: number;
  readPage(afterId: number): Promise<{ events: RecordedLiveEvent[]; lastId: number; full: boolean }>;
  goLive(sub: Subscription): void;
  setTimer(fn: () => void, ms: number): () => void;
}

export interface SubscriptionOptions {
  role: Role;
  roles: LiveEventRoles;
  /** Events queued for a client that does not read; one more and it is cut. */
  buffer: number;
  keepAliveMs: number;
  /** Called once when the hub cuts this client (too slow, or the server stops): close its connection. */
  onClose: (reason: CloseReason) => void;
}

/**
 * One client of `GET /events`: first the events it missed, read page by page from the database as it
 * takes them (so catching up never holds more than a page), then the live events the hub pushes, in
 * a queue of at most `buffer` events. A client that lets the queue fill is cut rather than buffered:
 * it reconnects with its last id and catches up from the database.
 */
export class Subscription {
  /** The id of the last event queued or skipped: where this client's stream stands. */
  cursor = 0;
  /** The most events ever waiting in the queue at once (what a slow client cost in memory). */
  maxQueued = 0;
  private readonly queue: StreamItem[] = [];
  private live = false;
  private closed: CloseReason | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly opts: SubscriptionOptions,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  get isLive(): boolean {
    return this.live && !this.closed;
  }

  /** Starts the stream at the feed's head (no Last-Event-ID): `ready` gives the client its position. */
  startAtHead(): void {
    this.cursor = this.source.head;
    this.queue.push({ kind: "event", event: { id: this.cursor, type: "ready" } });
  }

  /** Starts after `lastId`, a position the hub checked is still in the feed. */
  startAfter(lastId: number): void {
    this.cursor = lastId;
  }

  /** The client's position is lost: it refetches its state; the stream goes on from `newest`. */
  resync(newest: number, reason: ResyncEvent["reason"]): void {
    this.cursor = Math.max(newest, this.cursor);
    this.queue.push({ kind: "event", event: { id: this.cursor, type: "resync", reason } });
  }

  /** A live event from the hub. */
  push(event: RecordedLiveEvent): void {
    if (this.closed || event.id <= this.cursor) return;
    this.cursor = event.id;
    if (!mayReceive(this.opts.role, event.type, this.opts.roles)) return;
    if (this.queue.length >= this.opts.buffer) {
      this.close("too-slow");
      return;
    }
    this.queue.push({ kind: "event", event });
    this.maxQueued = Math.max(this.maxQueued, this.queue.length);
    this.wake?.();
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = reason;
    this.queue.length = 0;
    this.wake?.();
    if (reason !== "client-gone") this.opts.onClose(reason);
  }

  /** The next thing to write: queued first, then the next page of missed events, then live ones or a keep-alive. */
  async next(): Promise<StreamItem> {
    for (;;) {
      if (this.closed) return { kind: "closed" };
      const item = this.queue.shift();
      if (item) return item;
      if (!this.live) {
        await this.catchUp();
        continue;
      }
      const woken = await new Promise<boolean>((resolve) => {
        const cancel = this.source.setTimer(() => resolve(false), this.opts.keepAliveMs);
        this.wake = () => {
          cancel();
          resolve(true);
        };
      });
      this.wake = undefined;
      if (!woken && !this.closed && this.queue.length === 0) return { kind: "keepalive" };
    }
  }

  /** One page of missed events; once the client has everything the hub has read, it takes live ones. */
  private async catchUp(): Promise<void> {
    const headBefore = this.source.head;
    if (this.cursor < headBefore) {
      const page = await this.source.readPage(this.cursor);
      if (this.source.floor > 0 && this.cursor < this.source.floor - 1) {
        // Pruned while this client was catching up.
        this.resync(this.source.head, "too-old");
        return;
      }
      for (const event of page.events) {
        if (event.id > this.cursor && mayReceive(this.opts.role, event.type, this.opts.roles)) this.queue.push({ kind: "event", event });
      }
      this.cursor = Math.max(this.cursor, page.lastId);
      if (page.full) return;
      // Every id up to headBefore was written before this read began: a short page saw them all
      // (ids may skip numbers, and a missing one is not coming).
      this.cursor = Math.max(this.cursor, headBefore);
    }
    // The hub read further meanwhile: read again. No await between this check and goLive, so the hub
    // cannot fan out an event this client has neither read nor will be pushed.
    if (this.cursor < this.source.head) return;
    this.live = true;
    this.source.goLive(this);
  }
}
