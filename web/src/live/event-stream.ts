import { LiveEvent, type RecordedLiveEvent } from "@holdfast/shared";
import type { QueryKey } from "@tanstack/react-query";
import { keysForEvent, withoutCovered } from "./event-keys.js";
import { NO_PROGRESS, type ProgressState, reduceProgress } from "./run-progress.js";
import type { RelayMessage, TabShare } from "./tab-share.js";

export type LiveStatus = "connecting" | "live" | "reconnecting";

export interface LiveStreamDeps {
  url: string;
  invalidate(keys: QueryKey[]): void;
  invalidateAll(): void;
  /**
   * Asked before opening again after the browser gave up (an answer that was not a stream: 401,
   * 503): false stops trying (the session ended; the probe sent the viewer to sign in).
   */
  probe(): Promise<boolean>;
  open?: (url: string) => EventSource;
  /** Shares one stream among the browser's tabs; without it, this tab opens its own. */
  share?: TabShare | undefined;
}

/** Replayed events arrive in bursts: their invalidations are gathered this long, then sent once. */
const BATCH_MS = 100;
/** EventSource.CLOSED, named here so the module also loads where EventSource does not exist (unit tests). */
const CLOSED = 2;
const RETRY_MS = [2_000, 5_000, 10_000, 30_000];

/**
 * The tab's one connection to `GET /api/v1/events`. Open while at least one user holds it (the
 * shell), closed a moment after the last lets go (React's StrictMode mounts twice). The browser's
 * EventSource reconnects by itself after a cut and sends `Last-Event-ID`; when it gives up (the
 * answer was not a stream), this opens a new one after a pause. Any reconnect refetches everything
 * shown: what happened while cut off is then on screen even if the feed could not replay it.
 *
 * With `share`, only the tab that holds the lock connects; it posts every message, its status and its
 * resyncs to the other tabs, which handle them as their own. A tab taking the lead over refetches
 * everything: events between the old leader's end and its own `ready` are not replayed.
 */
export class LiveStream {
  private source: EventSource | undefined;
  private holders = 0;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retries = 0;
  private wasCut = false;
  private pending: QueryKey[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly eventListeners = new Set<(event: RecordedLiveEvent) => void>();
  private readonly changeListeners = new Set<() => void>();
  private leading = false;
  private resign: (() => void) | undefined;
  private stopWaiting: AbortController | undefined;
  private unlisten: (() => void) | undefined;
  status: LiveStatus = "connecting";
  progress: ProgressState = NO_PROGRESS;

  constructor(private readonly deps: LiveStreamDeps) {}

  /** Keeps the stream open until the returned function is called. */
  hold(): () => void {
    this.holders++;
    clearTimeout(this.closeTimer);
    if (!this.source && !this.retryTimer && !this.stopWaiting) this.start();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holders === 0) this.closeTimer = setTimeout(() => this.close(), 1_000);
    };
  }

  onEvent(listener: (event: RecordedLiveEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** For useSyncExternalStore: called when `status` or `progress` changed. */
  subscribe = (listener: () => void): (() => void) => {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  };

  /** Handles one message's data, as the stream delivers it (exposed for tests). */
  receive(data: string): void {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    const parsed = LiveEvent.safeParse(json);
    // A kind this console does not know yet (a newer control plane): nothing to do with it.
    if (!parsed.success) return;
    const event = parsed.data;
    if (event.type === "ready" || event.type === "resync") {
      if (event.type === "resync" || this.wasCut) this.resync();
      return;
    }
    const progress = reduceProgress(this.progress, event);
    if (progress !== this.progress) {
      this.progress = progress;
      this.changed();
    }
    this.queue(keysForEvent(event));
    for (const listener of this.eventListeners) listener(event);
  }

  private start(): void {
    const share = this.deps.share;
    if (!share) return this.connect();
    this.unlisten = share.listen((message) => this.relayed(message));
    const waiting = new AbortController();
    this.stopWaiting = waiting;
    share.requestLead(waiting.signal, () => {
      if (this.stopWaiting !== waiting) return Promise.resolve();
      this.leading = true;
      // Whatever the previous leader did not pass on before it went is fetched again.
      this.wasCut = true;
      this.connect();
      return new Promise<void>((resolve) => (this.resign = resolve));
    });
    share.post({ kind: "hello" });
  }

  /** A message from another tab: the leader's stream, or a tab that just joined asking for the status. */
  private relayed(message: RelayMessage): void {
    if (this.leading) {
      if (message.kind === "hello") this.deps.share?.post({ kind: "status", status: this.status });
      return;
    }
    if (message.kind === "data") this.receive(message.data);
    else if (message.kind === "status") this.setStatus(message.status);
    else if (message.kind === "resync") this.resync();
  }

  private connect(): void {
    this.retryTimer = undefined;
    const source = (this.deps.open ?? ((url) => new EventSource(url)))(this.deps.url);
    this.source = source;
    source.onopen = () => {
      if (this.wasCut) {
        // The other tabs were cut off too (a `resync` in the stream reaches them as data).
        if (this.leading) this.deps.share?.post({ kind: "resync" });
        this.resync();
      }
      this.retries = 0;
      this.setStatus("live");
    };
    source.onmessage = (message: MessageEvent<string>) => {
      this.deps.share?.post({ kind: "data", data: message.data });
      this.receive(message.data);
    };
    source.onerror = () => {
      this.wasCut = true;
      this.setStatus("reconnecting");
      // CONNECTING: the browser tries again by itself, with Last-Event-ID.
      if (source.readyState !== CLOSED) return;
      source.close();
      this.source = undefined;
      const wait = RETRY_MS[Math.min(this.retries++, RETRY_MS.length - 1)];
      this.retryTimer = setTimeout(() => void this.reopen(), wait);
    };
  }

  private async reopen(): Promise<void> {
    if (this.holders === 0) {
      this.retryTimer = undefined;
      return;
    }
    const goOn = await this.deps.probe().catch(() => true);
    if (!goOn || this.holders === 0) {
      this.retryTimer = undefined;
      return;
    }
    this.connect();
  }

  private close(): void {
    if (this.holders > 0) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.source?.close();
    this.source = undefined;
    this.stopWaiting?.abort();
    this.stopWaiting = undefined;
    this.unlisten?.();
    this.unlisten = undefined;
    this.leading = false;
    this.resign?.();
    this.resign = undefined;
    // Whatever happens while closed is missed: the next open refetches.
    this.wasCut = true;
    this.setStatus("connecting");
  }

  /** Everything shown may be stale: refetch it all, forget progress (the runs' rows have theirs). */
  private resync(): void {
    this.wasCut = false;
    this.pending = [];
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.progress = NO_PROGRESS;
    this.changed();
    this.deps.invalidateAll();
  }

  private queue(keys: QueryKey[]): void {
    if (keys.length === 0) return;
    this.pending.push(...keys);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      const keys = withoutCovered(this.pending);
      this.pending = [];
      this.deps.invalidate(keys);
    }, BATCH_MS);
  }

  private setStatus(status: LiveStatus): void {
    if (status === this.status) return;
    this.status = status;
    if (this.leading) this.deps.share?.post({ kind: "status", status });
    this.changed();
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener();
  }
}
