import { HoldfastError, LastEventIdHeader } from "@holdfast/shared";
import { Hono } from "hono";
import { type SSEStreamingApi, streamSSE } from "hono/streaming";
import type { AppContext } from "../../context.js";
import type { StreamItem } from "../../events/subscription.js";
import { headers } from "../validate.js";
import type { HonoEnv } from "../types.js";

/** How long a browser's EventSource waits before it reconnects (it sends Last-Event-ID then). */
const RECONNECT_MS = 2_000;

async function write(stream: SSEStreamingApi, item: Exclude<StreamItem, { kind: "closed" }>): Promise<void> {
  if (item.kind === "keepalive") await stream.write(": keep-alive\n\n");
  else await stream.writeSSE({ id: String(item.event.id), data: JSON.stringify(item.event) });
}

/**
 * `GET /events`: the live event feed as server-sent events (events/README.md). Authentication is the
 * API's (mounted under `/api/v1`, behind `authenticate`); nothing here needs a header a browser's
 * EventSource cannot send besides the `Last-Event-ID` it sends by itself.
 */
export function eventRoutes(ctx: AppContext) {
  return new Hono<HonoEnv>().get("/events", headers(LastEventIdHeader), async (c) => {
    const hub = ctx.liveEvents;
    if (!hub) throw new HoldfastError("NOT_READY", "The live event feed is not running", { reason: "stopping" });
    const last = c.req.valid("header")["last-event-id"];
    const log = c.get("log") ?? ctx.log;
    let stream: SSEStreamingApi | undefined;
    const sub = await hub.subscribe(c.get("user").role, last === undefined ? undefined : Number(last), (reason) => {
      // A client that does not read would never see a clean end: its connection is dropped at once.
      if (reason === "too-slow") {
        c.env?.outgoing?.destroy();
        stream?.abort();
      }
    });
    return streamSSE(c, async (s) => {
      stream = s;
      s.onAbort(() => hub.unsubscribe(sub));
      try {
        await s.write(`retry: ${RECONNECT_MS}\n\n`);
        for (;;) {
          const item = await sub.next();
          if (item.kind === "closed") return;
          await write(s, item);
        }
      } catch (err) {
        log.warn({ err }, "live event stream failed");
        hub.unsubscribe(sub);
      }
    });
  });
}
