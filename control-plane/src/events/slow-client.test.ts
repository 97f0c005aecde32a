import { type IncomingMessage, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { LiveEventClient } from "../testing/live-event-client.js";

const BUFFER = 400;
const BATCH = 1000;
/** A bound on the test, not a timing: the kernel's socket buffers hold a few MB before a stalled client pushes back. */
const MAX_BATCHES = 60;

describe("GET /api/v1/events: a client that does not read", () => {
  let srv: TestServer;
  let token: string;
  beforeAll(async () => {
    srv = await startTestServer("sqlite", {
      scheduler: false,
      vars: { HOLDFAST_EVENTS_POLL_MS: "10", HOLDFAST_EVENTS_CLIENT_BUFFER: String(BUFFER), HOLDFAST_EVENTS_KEEP_COUNT: "1000000" },
    });
    token = await srv.token("viewer");
  });
  afterAll(async () => srv?.stop());

  /** Opens the stream and does not read it: the response is paused as soon as its headers are in. */
  const stalled = () =>
    new Promise<{ res: IncomingMessage; closed: Promise<void> }>((resolve, reject) => {
      const req = request(`${srv.url}/api/v1/events`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.pause();
        resolve({ res, closed: new Promise((done) => res.socket.once("close", () => done())) });
      });
      req.on("error", reject);
      req.end();
    });

  /** Appends `BATCH` run events at once (what a mass change of runs would write through the triggers). */
  let next = 0;
  const burst = async () => {
    const { db, t } = srv.ctx.database;
    const rows = Array.from({ length: BATCH }, () => {
      next += 1;
      const data = { runId: `run_${next}`, agentId: "agt_x", datasourceId: "ds_x", scheduleId: null, kind: "backup", trigger: "manual", state: "queued", errorCode: null };
      return { type: "run.state", occurredAt: Date.now(), data: JSON.stringify(data) };
    });
    const ids = await db.insert(t.liveEvents).values(rows).returning({ id: t.liveEvents.id });
    return ids.at(-1)!.id;
  };

  it("is cut once its queue is full, never buffered further, while a client that reads gets everything", async () => {
    const slow = await stalled();
    const reader = await LiveEventClient.open(srv.url, token);
    await reader.waitFor("ready", (e) => e.type === "ready");
    let last = 0;
    for (let i = 0; i < MAX_BATCHES && srv.liveEvents.stats().cut === 0; i++) {
      last = await burst();
      // The hub has handed the whole batch to its clients (or cut one) before the next one is written.
      await reader.until(`event ${last}`, () => srv.liveEvents.head >= last && Number(reader.lastEventId) >= last);
    }
    const stats = srv.liveEvents.stats();
    expect(stats.cut).toBe(1);
    expect(stats.largestQueue).toBeLessThanOrEqual(BUFFER);
    expect(stats.subscribers).toBe(1);
    // Reading again, the cut client finds its connection closed after what the kernel still held.
    slow.res.resume();
    await slow.closed;
    expect(reader.recorded).toHaveLength(next);
    expect(reader.recorded.map((e) => (e.type === "run.state" ? e.runId : e.type))).toEqual(Array.from({ length: next }, (_, i) => `run_${i + 1}`));
    reader.close();
  });
});
