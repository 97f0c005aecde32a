import { LiveEvent } from "@holdfast/shared";
import { createParser } from "eventsource-parser";
import { tokenFetch } from "../remote/client.js";
import type { Connection } from "../remote/connection.js";

/** No byte for this long (the server sends a keep-alive comment well within it): the connection is dead, open again. */
const IDLE_MS = 45_000;
/** Openings refused in a row (a 503, a proxy that does not stream) before the feed gives up and the caller polls. */
const MAX_FAILED_OPENS = 3;
const REOPEN_MS = 2_000;

export interface EventFeed {
  /** Whether a stream is open now: the follower polls rarely while it is, often when not. */
  readonly live: boolean;
  close(): void;
}

/**
 * `GET /api/v1/events` read with the API token (Authorization header, never the URL), each
 * message parsed with the shared LiveEvent. A cut stream is opened again with `Last-Event-ID`, so
 * what happened meanwhile is replayed (or a `resync` says it cannot be); the caller treats
 * `ready` and `resync` as "refetch what you show". After MAX_FAILED_OPENS refusals in a row it stops:
 * the follower then polls, which needs nothing but GET /runs/:id.
 */
export function openEventFeed(conn: Connection, onEvent: (event: LiveEvent) => void): EventFeed {
  const stop = new AbortController();
  let lastId: string | undefined;
  let live = false;
  let failed = 0;

  const readOnce = async () => {
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(), IDLE_MS);
    const signal = AbortSignal.any([stop.signal, idle.signal]);
    const headers: Record<string, string> = { accept: "text/event-stream", ...(lastId ? { "last-event-id": lastId } : {}) };
    try {
      const res = await tokenFetch(conn)(`${conn.server}/api/v1/events`, { headers, signal });
      if (!res.ok || !res.body || !res.headers.get("content-type")?.startsWith("text/event-stream")) {
        await res.body?.cancel();
        failed++;
        return;
      }
      failed = 0;
      live = true;
      const parser = createParser({
        onEvent: (message) => {
          if (message.id) lastId = message.id;
          let json: unknown;
          try {
            json = JSON.parse(message.data);
          } catch {
            return;
          }
          const parsed = LiveEvent.safeParse(json);
          if (parsed.success) onEvent(parsed.data);
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        timer = setTimeout(() => idle.abort(), IDLE_MS);
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
    } catch {
      if (!live) failed++;
    } finally {
      clearTimeout(timer);
      live = false;
    }
  };

  void (async () => {
    while (!stop.signal.aborted && failed < MAX_FAILED_OPENS) {
      await readOnce();
      if (stop.signal.aborted) break;
      await new Promise((r) => setTimeout(r, REOPEN_MS).unref());
    }
  })();

  return {
    get live() {
      return live;
    },
    close: () => stop.abort(),
  };
}
