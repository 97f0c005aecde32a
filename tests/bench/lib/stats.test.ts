import { describe, expect, it } from "vitest";
import { meets, pairRatios, quantile, summarize } from "./stats.js";

describe("benchmark statistics", () => {
  it("takes the middle sample of an odd count and the mean of the two middle ones of an even count", () => {
    expect(summarize([5, 1, 3]).median).toBe(3);
    expect(summarize([4, 1, 3, 2]).median).toBe(2.5);
  });

  it("gives the range and the quartiles, interpolated between ranks", () => {
    const s = summarize([10, 1, 7, 4, 13]);
    expect(s).toEqual({ n: 5, median: 7, min: 1, max: 13, q1: 4, q3: 10 });
    expect(quantile([1, 2], 0.25)).toBe(1.25);
  });

  it("summarizes a single sample as itself", () => {
    expect(summarize([42])).toEqual({ n: 1, median: 42, min: 42, max: 42, q1: 42, q3: 42 });
  });

  it("refuses an empty sample rather than printing NaN", () => {
    expect(() => summarize([])).toThrow(/no samples/);
  });

  it("divides each pair on its own, so a slow pair stays one slow ratio", () => {
    expect(pairRatios([2, 9, 3], [1, 10, 3])).toEqual([2, 0.9, 1]);
    expect(() => pairRatios([1, 2], [1])).toThrow(/unpaired/);
  });

  it("judges a target on the median, not on the best or the worst repetition", () => {
    const s = summarize([0.9, 0.95, 1.3]);
    expect(meets(s, { op: "<=", limit: 1 })).toBe(true);
    expect(meets(s, { op: ">=", limit: 1 })).toBe(false);
    expect(meets(summarize([0.8]), { op: ">=", limit: 0.8 })).toBe(true);
  });
});
