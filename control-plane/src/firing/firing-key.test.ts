import { describe, expect, it } from "vitest";
import { firingIdempotencyKey } from "./firing-key.js";

const fire = new Date("2026-03-29T01:00:00Z");

describe("firingIdempotencyKey", () => {
  it("is the same for the same firing, whoever computes it and whatever Date object carries the time", () => {
    const key = firingIdempotencyKey("sch_1", fire, 1);
    expect(key).toBe("sched:sch_1:2026-03-29T01:00:00.000Z:1");
    expect(firingIdempotencyKey("sch_1", new Date(fire.getTime()), 1)).toBe(key);
    expect(firingIdempotencyKey("sch_1", new Date("2026-03-29T03:00:00+02:00"), 1)).toBe(key);
  });

  it("differs when the schedule, the fire time or the attempt differs", () => {
    const keys = [
      firingIdempotencyKey("sch_1", fire, 1),
      firingIdempotencyKey("sch_2", fire, 1),
      firingIdempotencyKey("sch_1", new Date(fire.getTime() + 1000), 1),
      firingIdempotencyKey("sch_1", fire, 2),
      // ids that would collide if the separator were not escaped
      firingIdempotencyKey("a:2026-03-29T01:00:00.000Z:1", fire, 1),
      firingIdempotencyKey("a", new Date("2026-03-29T01:00:00Z"), 1),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("fits the protocol's 200-character idempotency key with a 64-character id", () => {
    expect(firingIdempotencyKey("x".repeat(64), fire, 10).length).toBeLessThanOrEqual(200);
  });

  it("refuses a clock reading (milliseconds) and attempts below 1", () => {
    expect(() => firingIdempotencyKey("sch_1", new Date("2026-03-29T01:00:00.123Z"), 1)).toThrow(/scheduled time/);
    expect(() => firingIdempotencyKey("sch_1", new Date(Number.NaN), 1)).toThrow(/scheduled time/);
    expect(() => firingIdempotencyKey("sch_1", fire, 0)).toThrow(/Attempt 0/);
  });
});
