import { describe, expect, it } from "vitest";
import { retryAfterSeconds, takeFromBucket } from "./token-bucket.js";

// 60 a minute: one request a second once the burst of 3 is spent.
const LIMIT = { burst: 3, perMinute: 60 };
const T0 = 1_000_000;

/** Sends `count` requests at `now` through the bucket, returning each answer and the bucket after them. */
function burstAt(fullAt: number | null, now: number, count: number) {
  const answers = [];
  for (let i = 0; i < count; i++) {
    const d = takeFromBucket(fullAt, now, LIMIT);
    answers.push(d.allowed ? "ok" : `wait ${d.retryAfterMs} ms`);
    if (d.allowed) fullAt = d.fullAt;
  }
  return { answers, fullAt };
}

describe("takeFromBucket", () => {
  it("lets a full bucket's burst through at once, then refuses until one request has refilled", () => {
    expect(burstAt(null, T0, 5).answers).toEqual(["ok", "ok", "ok", "wait 1000 ms", "wait 1000 ms"]);
  });

  it("refills at the sustained rate: after 1.5 s one more request fits and the next waits the rest of its second", () => {
    const spent = burstAt(null, T0, 3).fullAt;
    expect(burstAt(spent, T0 + 1_500, 2).answers).toEqual(["ok", "wait 500 ms"]);
  });

  it("never holds more than the burst, however long it sat unused", () => {
    const spent = burstAt(null, T0, 3).fullAt;
    expect(burstAt(spent, T0 + 3_600_000, 4).answers).toEqual(["ok", "ok", "ok", "wait 1000 ms"]);
  });

  it("rounds Retry-After up to whole seconds, at least one", () => {
    expect([1, 999, 1_000, 1_001, 0].map(retryAfterSeconds)).toEqual([1, 1, 1, 2, 1]);
  });
});
