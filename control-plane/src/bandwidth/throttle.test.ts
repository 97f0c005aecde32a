import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../testing/manual-clock.js";
import { throttle } from "./throttle.js";
import { MIB, TokenBucket } from "./token-bucket.js";

const CHUNK = 64 * 1024;

/** Lets promises, nextTicks and stream callbacks run: what a timer started is done after this. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A source of `total` bytes in CHUNK pieces that counts what was asked of it (what the throttle read). */
function countingSource(total: number) {
  let produced = 0;
  const source = new Readable({
    highWaterMark: CHUNK,
    read() {
      if (produced >= total) return void this.push(null);
      const n = Math.min(CHUNK, total - produced);
      produced += n;
      this.push(Buffer.alloc(n, produced & 0xff));
    },
  });
  return { source, produced: () => produced };
}

/** A sink that takes everything at once, counting bytes and the largest write. */
function countingSink() {
  const seen = { bytes: 0, largest: 0 };
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      seen.bytes += chunk.length;
      seen.largest = Math.max(seen.largest, chunk.length);
      done();
    },
  });
  return { sink, seen };
}

/** Moves the clock `ms` in 10 ms steps, letting the streams run after each. */
async function run(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10) {
    clock.advance(10);
    await settle();
  }
}

describe("the throttle (a token bucket on the stream, on the injectable clock)", () => {
  it("lets through no more than the rate per interval, about the rate over a second, in slices, without reading ahead", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, MIB);
    const { source, produced } = countingSource(8 * MIB);
    const { sink, seen } = countingSink();
    const done = pipeline(source, throttle(bucket), sink);
    await settle();
    // Nothing before time moves: the bucket starts empty.
    expect(seen.bytes).toBe(0);
    for (let step = 1; step <= 20; step++) {
      await run(clock, 50);
      const elapsed = step * 0.05;
      // Never more than the rate times the time so far; at most one 50 ms slice behind it.
      expect(seen.bytes).toBeLessThanOrEqual(MIB * elapsed);
      expect(seen.bytes).toBeGreaterThanOrEqual(MIB * elapsed - bucket.sliceBytes - 1);
      // Backpressure: what was read from the source is what went out, plus the chunk being passed
      // and the one the source holds ready (its own highWaterMark): never megabytes ahead.
      expect(produced() - seen.bytes).toBeLessThanOrEqual(3 * CHUNK);
    }
    expect(seen.largest).toBeLessThanOrEqual(bucket.sliceBytes);
    source.destroy();
    await done.catch(() => {});
  });

  it("applies a new rate to the next bytes of a transfer under way, and null lets the rest through at once", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, MIB);
    const { source } = countingSource(4 * MIB);
    const { sink, seen } = countingSink();
    const done = pipeline(source, throttle(bucket), sink);
    await run(clock, 1000);
    const atOne = seen.bytes;
    expect(atOne).toBeGreaterThan(0.9 * MIB);
    bucket.setRate(MIB / 4);
    await run(clock, 1000);
    const quarter = seen.bytes - atOne;
    // What the bucket held at the change (two slices of the new rate at most) goes too.
    expect(quarter).toBeLessThanOrEqual(MIB / 4 + 2 * bucket.sliceBytes);
    expect(quarter).toBeGreaterThan(0.2 * MIB);
    bucket.setRate(null);
    await settle();
    await done;
    expect(seen.bytes).toBe(4 * MIB);
  });

  it("passes every byte with no timer when unlimited, chunks whole", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, null);
    const { source } = countingSource(4 * MIB);
    const { sink, seen } = countingSink();
    await pipeline(source, throttle(bucket), sink);
    expect(seen).toEqual({ bytes: 4 * MIB, largest: CHUNK });
    expect(clock.pendingTimers).toBe(0);
  });

  it("shares one bucket between transfers: together at the rate, each about half, and one that stops leaves the rate to the other", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, MIB);
    const a = countingSource(8 * MIB);
    const b = countingSource(8 * MIB);
    const sa = countingSink();
    const sb = countingSink();
    const ta = throttle(bucket);
    const doneA = pipeline(a.source, ta, sa.sink).catch(() => "stopped");
    const doneB = pipeline(b.source, throttle(bucket), sb.sink);
    await run(clock, 1000);
    const total = sa.seen.bytes + sb.seen.bytes;
    expect(total).toBeLessThanOrEqual(MIB);
    expect(total).toBeGreaterThan(0.9 * MIB);
    expect(Math.abs(sa.seen.bytes - sb.seen.bytes)).toBeLessThanOrEqual(2 * bucket.sliceBytes);

    // A stops while waiting for its turn: its place goes, B gets the whole rate.
    ta.destroy();
    expect(await doneA).toBe("stopped");
    const bBefore = sb.seen.bytes;
    await run(clock, 1000);
    expect(sb.seen.bytes - bBefore).toBeGreaterThan(0.9 * MIB);
    expect(sb.seen.bytes - bBefore).toBeLessThanOrEqual(MIB + 2 * bucket.sliceBytes);
    b.source.destroy();
    await doneB.catch(() => {});
  });

  it("serves takers in turn, a slice each, and one that gives up its place costs the next nothing", async () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(clock, MIB);
    const got: string[] = [];
    const a = bucket.take(MIB);
    const b = bucket.take(MIB);
    const c = bucket.take(1000);
    void a.granted.then((n) => got.push(`a ${n}`));
    void b.granted.then((n) => got.push(`b ${n}`));
    void c.granted.then((n) => got.push(`c ${n}`));
    a.cancel();
    clock.advance(49);
    await settle();
    expect(got).toEqual([]);
    clock.advance(1);
    await settle();
    expect(got).toEqual([`b ${bucket.sliceBytes}`]);
    // c asks for less than a slice: it waits for that much only (1000 bytes: 1 ms at 1 MiB/s).
    clock.advance(1);
    await settle();
    expect(got).toEqual([`b ${bucket.sliceBytes}`, "c 1000"]);
  });

  it("grants slices of a twentieth of a second at the rate, 4 KiB at least, and refuses a rate that is not positive", () => {
    const clock = new ManualClock();
    expect(new TokenBucket(clock, MIB).sliceBytes).toBe(Math.floor(MIB / 20));
    expect(new TokenBucket(clock, 1000).sliceBytes).toBe(4096);
    expect(new TokenBucket(clock, null).sliceBytes).toBe(Number.POSITIVE_INFINITY);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => new TokenBucket(clock, bad)).toThrow(RangeError);
    expect(() => new TokenBucket(clock, MIB).setRate(0)).toThrow(RangeError);
  });
});
