import { LiveEvent } from "@holdfast/shared";
import { createParser } from "eventsource-parser";

/**
 * A client of `GET /api/v1/events` on a real socket, as a console would be: it parses each message
 * with shared's `LiveEvent`, remembers the last id (what EventSource sends back as Last-Event-ID), and
 * counts keep-alive comments. Every wait has a deadline naming what it waited for.
 */
export class LiveEventClient {
  readonly events: LiveEvent[] = [];
  keepAlives = 0;
  lastEventId: string | undefined;
  /** Settles when the server ends the stream or the connection drops. */
  readonly ended: Promise<void>;
  private readonly abort = new AbortController();
  private changed: () => void = () => {};

  private constructor(body: ReadableStream<Uint8Array>) {
    const parser = createParser({
      onEvent: (message) => {
        if (message.id !== undefined) this.lastEventId = message.id;
        this.events.push(LiveEvent.parse(JSON.parse(message.data)));
        this.changed();
      },
      onComment: () => {
        this.keepAlives += 1;
        this.changed();
      },
    });
    this.ended = (async () => {
      const decoder = new TextDecoder();
      try {
        // A reader rather than `for await`: the browser suite's DOM typings have no async iterator on ReadableStream.
        const reader = body.getReader();
        for (let read = await reader.read(); !read.done; read = await reader.read()) parser.feed(decoder.decode(read.value, { stream: true }));
      } catch {
        // Cut by the server or closed by the test: either way the stream is over.
      }
      this.changed();
    })();
  }

  /** Opens the stream; refused answers throw with their status and body. */
  static async open(baseUrl: string, token: string, opts: { lastEventId?: string } = {}): Promise<LiveEventClient> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: "text/event-stream" };
    if (opts.lastEventId !== undefined) headers["last-event-id"] = opts.lastEventId;
    const abort = new AbortController();
    const res = await fetch(`${baseUrl}/api/v1/events`, { headers, signal: abort.signal });
    if (res.status !== 200 || !res.body) throw new Error(`GET /api/v1/events answered ${res.status}: ${await res.text()}`);
    const client = new LiveEventClient(res.body);
    client.abort.signal.addEventListener("abort", () => abort.abort());
    return client;
  }

  /** The events that are not `ready`/`resync`: what happened. */
  get recorded(): LiveEvent[] {
    return this.events.filter((e) => e.type !== "ready" && e.type !== "resync");
  }

  /** Resolves with the first event (seen or to come) that matches. */
  async waitFor(what: string, match: (e: LiveEvent) => boolean, timeoutMs = 15_000): Promise<LiveEvent> {
    await this.until(what, () => this.events.some(match), timeoutMs);
    return this.events.find(match)!;
  }

  /** Resolves once `done()` holds, checked at every event, comment and the end of the stream. */
  until(what: string, done: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.changed = () => {};
        reject(new Error(`LiveEventClient: ${what} did not happen within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.type))}`));
      }, timeoutMs);
      this.changed = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.changed = () => {};
        resolve();
      };
    });
  }

  close(): void {
    this.abort.abort();
  }
}
