import { HoldfastError, LIVE_EVENT_ROLES, type LiveEventRoles, type RecordedLiveEvent, type Role } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { type FeedWindow, feedBounds, pruneFeed, readEventsAfter, toLiveEvent } from "./feed.js";
import { type CloseReason, Subscription, type SubscriptionSource } from "./subscription.js";

type HubContext = Pick<AppContext, "database" | "clock" | "log">;

export interface EventHubOptions {
  /** How often the feed's head is read while someone listens. */
  pollMs: number;
  /** An idle stream gets a comment this often. */
  keepAliveMs: number;
  /** Live events queued per client before it is cut. */
  clientBuffer: number;
  window: FeedWindow;
  /** How often events outside the window are deleted. */
  pruneEveryMs: number;
  /** Who receives which kind (tests pass another table). */
  roles?: LiveEventRoles;
}

/** Rows a client catching up reads at once (pulled as it writes them, so never more queued). */
const CATCH_UP_PAGE = 500;

/**
 * The live event feed of this process. The events are rows of `live_events`, written by triggers in
 * the statement that changes a run, a delivery or an agent (and by `progress.ts`); the hub reads what
 * is new every `pollMs` while a client listens, once for all of them, and hands each event to every
 * live subscription. Reading the table rather than being told by the writers means every writer is
 * covered, in this process or another (docs/decisions.md, "Live events").
 */
export class EventHub implements SubscriptionSource {
  head = 0;
  floor = 0;
  /** Clients cut for not reading (each reconnects and catches up from the database). */
  cutCount = 0;
  /** The most live events ever queued for one client: what a client that does not read can cost. */
  largestQueue = 0;
  private readonly subscriptions = new Set<Subscription>();
  private readonly live = new Set<Subscription>();
  private readonly roles: LiveEventRoles;
  private stopPoll: (() => void) | undefined;
  private stopPrune: () => void = () => {};
  private busy: Promise<void> = Promise.resolve();
  private pruning: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly ctx: HubContext,
    private readonly opts: EventHubOptions,
  ) {
    this.roles = opts.roles ?? LIVE_EVENT_ROLES;
  }

  /** Reads where the feed stands and starts pruning. */
  async start(): Promise<void> {
    await (this.pruning = this.prune());
    this.head = (await feedBounds(this.ctx)).newest;
  }

  /**
   * A new client. With `lastEventId` it gets what it missed (or `resync` when that is gone or was never
   * ours); without, it starts at the head. Throws NOT_READY once the server is stopping.
   */
  async subscribe(role: Role, lastEventId: number | undefined, onClose: (reason: CloseReason) => void): Promise<Subscription> {
    if (this.closed) throw new HoldfastError("NOT_READY", "The control plane is shutting down", { reason: "stopping" });
    const sub = new Subscription(this, { role, roles: this.roles, buffer: this.opts.clientBuffer, keepAliveMs: this.opts.keepAliveMs, onClose });
    if (this.subscriptions.size === 0) this.head = Math.max(this.head, (await feedBounds(this.ctx)).newest);
    this.subscriptions.add(sub);
    this.startPolling();
    if (lastEventId === undefined) {
      sub.startAtHead();
      return sub;
    }
    const { oldest, newest } = await feedBounds(this.ctx);
    this.floor = oldest;
    if (lastEventId > newest) sub.resync(newest, "unknown");
    else if (oldest > 0 && lastEventId < oldest - 1) sub.resync(newest, "too-old");
    else sub.startAfter(lastEventId);
    return sub;
  }

  /** A client went away. */
  unsubscribe(sub: Subscription): void {
    sub.close("client-gone");
    this.forget(sub);
  }

  goLive(sub: Subscription): void {
    if (this.subscriptions.has(sub)) this.live.add(sub);
  }

  async readPage(afterId: number): Promise<{ events: RecordedLiveEvent[]; lastId: number; full: boolean }> {
    const rows = await readEventsAfter(this.ctx, afterId, CATCH_UP_PAGE);
    return { events: rows.flatMap((row) => this.parse(row)), lastId: rows.at(-1)?.id ?? afterId, full: rows.length === CATCH_UP_PAGE };
  }

  setTimer(fn: () => void, ms: number): () => void {
    return this.ctx.clock.setTimeout(fn, ms);
  }

  /** Subscriptions now, for tests and diagnostics: queued events per client, and how many were cut. */
  stats(): { subscribers: number; live: number; queued: number[]; largestQueue: number; cut: number } {
    const subs = [...this.subscriptions];
    const largestQueue = Math.max(this.largestQueue, ...subs.map((s) => s.maxQueued));
    return { subscribers: subs.length, live: this.live.size, queued: subs.map((s) => s.queued), largestQueue, cut: this.cutCount };
  }

  /** Ends every stream (clients reconnect elsewhere or after the restart, with their last id) and stops. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopPoll?.();
    this.stopPrune();
    for (const sub of [...this.subscriptions]) {
      sub.close("server-stopping");
      this.forget(sub);
    }
    await Promise.all([this.busy, this.pruning]);
  }

  private forget(sub: Subscription): void {
    this.largestQueue = Math.max(this.largestQueue, sub.maxQueued);
    this.subscriptions.delete(sub);
    this.live.delete(sub);
    if (this.subscriptions.size === 0) {
      this.stopPoll?.();
      this.stopPoll = undefined;
    }
  }

  private parse(row: Parameters<typeof toLiveEvent>[0]): RecordedLiveEvent[] {
    const event = toLiveEvent(row);
    if (!event) this.ctx.log.warn({ id: row.id, type: row.type }, "live event does not parse; not sent");
    return event ? [event] : [];
  }

  private startPolling(): void {
    if (this.stopPoll || this.closed) return;
    const tick = () => {
      let more = false;
      this.busy = this.busy
        .then(async () => {
          more = await this.poll();
        })
        .catch((err: unknown) => this.ctx.log.warn({ err }, "could not read the live event feed"))
        .finally(() => {
          // A full page: read on at once, but from a new turn of the event loop, so the streams
          // write what they were handed before the next page is pushed to them.
          if (this.stopPoll) this.stopPoll = this.ctx.clock.setTimeout(tick, more ? 0 : this.opts.pollMs);
        });
    };
    this.stopPoll = this.ctx.clock.setTimeout(tick, this.opts.pollMs);
  }

  /**
   * Hands the next page after the head to the live subscriptions, in id order; true when the page was
   * full. A page is a quarter of a client's buffer, so a client that keeps up is never cut by a burst.
   */
  private async poll(): Promise<boolean> {
    const page = Math.max(1, Math.min(200, Math.floor(this.opts.clientBuffer / 4)));
    const rows = await readEventsAfter(this.ctx, this.head, page);
    for (const row of rows) {
      this.head = row.id;
      for (const event of this.parse(row)) {
        for (const sub of this.live) {
          sub.push(event);
          if (!sub.isLive) this.cut(sub);
        }
      }
    }
    return rows.length === page;
  }

  private cut(sub: Subscription): void {
    this.cutCount += 1;
    this.ctx.log.info({ maxQueued: sub.maxQueued }, "live event client too slow; disconnected (it resumes with Last-Event-ID)");
    this.forget(sub);
  }

  private async prune(): Promise<void> {
    if (this.closed) return;
    try {
      await pruneFeed(this.ctx, this.opts.window);
      this.floor = (await feedBounds(this.ctx)).oldest;
    } catch (err) {
      this.ctx.log.warn({ err }, "could not prune the live event feed");
    }
    if (!this.closed) this.stopPrune = this.ctx.clock.setTimeout(() => void (this.pruning = this.prune()), this.opts.pruneEveryMs);
  }
}
