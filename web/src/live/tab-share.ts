import type { LiveStatus } from "./event-stream.js";

/** What the leading tab tells the others over the channel, and what a joining tab asks. */
export type RelayMessage = { kind: "data"; data: string } | { kind: "status"; status: LiveStatus } | { kind: "resync" } | { kind: "hello" };

/**
 * How the tabs of one browser share a single stream: one tab leads (holds a lock, runs the
 * EventSource, posts what it receives), the others listen. When the leader closes, the lock passes to
 * a waiting tab, which opens its own stream.
 */
export interface TabShare {
  /** Calls `lead` once this tab holds the lock; the lock is held until `lead`'s promise settles. Gives up waiting when `signal` aborts. */
  requestLead(signal: AbortSignal, lead: () => Promise<void>): void;
  post(message: RelayMessage): void;
  listen(handler: (message: RelayMessage) => void): () => void;
}

const NAME = "holdfast-live-events";

/** The browser's Web Locks and BroadcastChannel, or undefined where either is missing (each tab then has its own stream). */
export function browserTabShare(): TabShare | undefined {
  if (typeof BroadcastChannel === "undefined" || typeof navigator === "undefined" || !navigator.locks) return undefined;
  const channel = new BroadcastChannel(NAME);
  return {
    requestLead(signal, lead) {
      navigator.locks.request(NAME, { signal }, lead).catch(() => {
        // Aborted while waiting: this tab stopped needing the stream.
      });
    },
    post: (message) => channel.postMessage(message),
    listen(handler) {
      const onMessage = (e: MessageEvent<RelayMessage>) => handler(e.data);
      channel.addEventListener("message", onMessage);
      return () => channel.removeEventListener("message", onMessage);
    },
  };
}
