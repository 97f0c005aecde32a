import { describe, expect, it } from "vitest";
import { ManualClock } from "../testing/manual-clock.js";
import { MIB } from "./token-bucket.js";
import { type CapKey, TransferCaps } from "./transfer-caps.js";

const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** A stored cap per key, and reads that can be held until the test lets them answer. */
function store(initial: [CapKey, number | null][] = []) {
  const stored = new Map<CapKey, number | null>(initial);
  const reads: CapKey[] = [];
  let holding = false;
  const held: (() => void)[] = [];
  return {
    stored,
    reads,
    hold: () => void (holding = true),
    answer: () => {
      holding = false;
      for (const go of held.splice(0)) go();
    },
    read: async (key: CapKey) => {
      reads.push(key);
      // The value as stored when the read reached the database, answered later when held.
      const value = stored.get(key) ?? null;
      if (holding) await new Promise<void>((resolve) => held.push(resolve));
      return value;
    },
  };
}

describe("the live caps of transfers under way", () => {
  it("shares one bucket per key at the stored cap, read at each transfer's start, and drops it with the last transfer", async () => {
    const db = store([["agent:a", 2]]);
    const caps = new TransferCaps(new ManualClock(), db.read, 0);
    expect(caps.rateOf("agent:a")).toBeUndefined();
    const first = await caps.lease("agent:a");
    expect(caps.rateOf("agent:a")).toBe(2 * MIB);
    db.stored.set("agent:a", 0.5);
    const second = await caps.lease("agent:a");
    expect(caps.rateOf("agent:a")).toBe(0.5 * MIB);
    expect(caps.rateOf("destination:a")).toBeUndefined();
    first.release();
    first.release();
    expect(caps.rateOf("agent:a")).toBe(0.5 * MIB);
    second.release();
    expect(caps.rateOf("agent:a")).toBeUndefined();
    expect(db.reads).toEqual(["agent:a", "agent:a"]);
  });

  it("hands a stored change to the transfers under way, and ignores it for keys with none", async () => {
    const caps = new TransferCaps(new ManualClock(), store().read, 0);
    const lease = await caps.lease("destination:d");
    expect(caps.rateOf("destination:d")).toBeNull();
    caps.set("destination:d", 1.5);
    expect(caps.rateOf("destination:d")).toBe(1.5 * MIB);
    caps.set("destination:d", null);
    expect(caps.rateOf("destination:d")).toBeNull();
    caps.set("agent:other", 3);
    expect(caps.rateOf("agent:other")).toBeUndefined();
    lease.release();
  });

  it("keeps a change made while a transfer's first read was under way, over the older value that read brings", async () => {
    const db = store([["agent:a", 1]]);
    const caps = new TransferCaps(new ManualClock(), db.read, 0);
    db.hold();
    const leasing = caps.lease("agent:a");
    await settle();
    // The PATCH stores 0.25 and tells this process after the read saw 1.
    db.stored.set("agent:a", 0.25);
    caps.set("agent:a", 0.25);
    db.answer();
    const lease = await leasing;
    expect(caps.rateOf("agent:a")).toBe(0.25 * MIB);
    lease.release();
  });

  it("gives the hold back when the read fails", async () => {
    const caps = new TransferCaps(new ManualClock(), async () => Promise.reject(new Error("database down")), 0);
    await expect(caps.lease("agent:a")).rejects.toThrow("database down");
    expect(caps.rateOf("agent:a")).toBeUndefined();
  });

  it("re-reads the stored cap of a live key on its clock (another replica's change), and a change made meanwhile wins over a read begun before it", async () => {
    const clock = new ManualClock();
    const db = store([["agent:a", 1]]);
    const caps = new TransferCaps(clock, db.read, 10_000);
    const lease = await caps.lease("agent:a");
    db.stored.set("agent:a", 4);
    clock.advance(9_999);
    await settle();
    expect(db.reads).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(db.reads).toHaveLength(2);
    expect(caps.rateOf("agent:a")).toBe(4 * MIB);

    // A re-read sees 4; before it answers, a PATCH here stores 0.25: 0.25 stays.
    db.hold();
    clock.advance(10_000);
    await settle();
    expect(db.reads).toHaveLength(3);
    db.stored.set("agent:a", 0.25);
    caps.set("agent:a", 0.25);
    db.answer();
    await settle();
    expect(caps.rateOf("agent:a")).toBe(0.25 * MIB);

    lease.release();
    expect(clock.pendingTimers).toBe(0);
  });
});
