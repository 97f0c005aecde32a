import { describe, expect, it } from "vitest";
import { compileCron } from "../schedules/cron.js";
import { firingsAfter } from "./firing-series.js";

const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 1);

/** A seeded generator, so a failure names inputs that can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe("firings kept per pattern and zone", () => {
  // Daily across both DST changes, hourly, weekly, every 10 seconds (past the series' bound over days), a one-day-a-year one.
  const cases: [string, string][] = [
    ["0 3 * * *", "UTC"],
    ["30 2 * * *", "Europe/Berlin"],
    ["0 * * * *", "America/New_York"],
    ["15 4 * * 1", "Asia/Kolkata"],
    ["*/10 * * * * *", "UTC"],
    ["0 0 29 2 *", "Europe/Lisbon"],
  ];
  it.each(cases)("answers as croner does for %s in %s, whatever order the times come in", (cron, zone) => {
    const job = compileCron(cron, zone);
    const next = random(cron.length * 7919 + zone.length);
    const times: number[] = [];
    for (let i = 0; i < 300; i++) times.push(START + Math.floor(next() * 600 * DAY));
    // Exactly on a firing, a millisecond either side of one, and going backwards and forwards.
    const on = job.nextRun(new Date(START + 200 * DAY))!.getTime();
    times.push(on, on - 1, on + 1, on + 500, START, START + 599 * DAY, START + 3 * DAY);
    for (const from of times) {
      const want = job.nextRuns(2, new Date(from)).map((d) => d.getTime());
      expect(firingsAfter(cron, zone, from, 2), `${cron} ${zone} after ${new Date(from).toISOString()}`).toEqual(want);
      expect(firingsAfter(cron, zone, from, 1)).toEqual(want.slice(0, 1));
    }
  });

  it("answers null for a pattern that does not compile", () => {
    expect(firingsAfter("not a cron", "UTC", START, 2)).toBeNull();
    expect(firingsAfter("0 3 * * *", "Mars/Olympus", START, 2)).toBeNull();
  });
});
