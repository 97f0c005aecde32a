import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { TestClock } from "../testing/test-clock.js";
import { pruneRateLimits, takeToken } from "../rate-limits/index.js";

const TOKEN_BURST = 5;

describe.each(DIALECTS)("rate limits over HTTP on %s", (dialect) => {
  let srv: TestServer;
  // Time stands still, so nothing refills behind the test's back.
  const clock = new TestClock();

  beforeAll(async () => {
    srv = await startTestServer(dialect, {
      scheduler: false,
      clock,
      vars: { HOLDFAST_RATE_API_TOKEN_BURST: String(TOKEN_BURST), HOLDFAST_RATE_API_TOKEN_PER_MIN: "6", HOLDFAST_RATE_ENROLL_BURST: "2", HOLDFAST_RATE_ENROLL_PER_MIN: "1" },
    });
  });
  afterAll(async () => srv?.stop());

  it("answers a token hammered past its burst 429 RATE_LIMITED with Retry-After, while another token still passes", async () => {
    const hammered = await srv.token("viewer");
    const other = await srv.token("operator");
    const statuses = [];
    for (let i = 0; i < TOKEN_BURST; i++) statuses.push((await srv.api("/api/v1/agents", { token: hammered })).status);
    expect(statuses).toEqual(Array(TOKEN_BURST).fill(200));

    const refused = await srv.api("/api/v1/agents", { token: hammered });
    expect(refused.status).toBe(429);
    // 6 a minute: the next request fits in 10 s.
    expect(refused.headers.get("retry-after")).toBe("10");
    expect(((await refused.json()) as { error: { code: string; details: unknown } }).error).toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 10 } });

    expect((await srv.api("/api/v1/agents", { token: other })).status).toBe(200);

    // The bucket refills with time: 10 s later the hammered token gets one more request.
    clock.advance(10_000);
    expect((await srv.api("/api/v1/agents", { token: hammered })).status).toBe(200);
    expect((await srv.api("/api/v1/agents", { token: hammered })).status).toBe(429);
  });

  it("limits enrollments per address more tightly than the API", async () => {
    const enroll = async () =>
      fetch(`${srv.url}/agent/v1/enroll`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: "hf_enroll_unknown", hostname: "h", agentVersion: "0.0.0" }) });
    // Refused tokens count too: the limit is on trying.
    const first = [(await enroll()).status, (await enroll()).status];
    expect(first.every((s) => s !== 429)).toBe(true);
    const limited = await enroll();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("60");
  });

  it("keeps a bucket in the database, so a second process on it sees the same emptied bucket", async () => {
    const ctx = { database: srv.ctx.database, clock };
    const limit = { burst: 1, perMinute: 60 };
    await takeToken(ctx, "test:shared", limit, "tries");
    await expect(takeToken({ ...ctx }, "test:shared", limit, "tries")).rejects.toMatchObject({ code: "RATE_LIMITED", details: { retryAfterSeconds: 1 } });
  });

  it("forgets full buckets when pruned: a bucket whose time has passed is full anyway", async () => {
    const ctx = { database: srv.ctx.database, clock };
    const { db, t } = srv.ctx.database;
    await takeToken(ctx, "test:prune", { burst: 1, perMinute: 60 }, "tries");
    const before = await db.$count(t.rateLimits);
    clock.advance(3_600_000);
    expect(await pruneRateLimits(ctx)).toBe(before);
    expect(await db.$count(t.rateLimits)).toBe(0);
  });
});
