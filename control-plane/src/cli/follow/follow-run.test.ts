import { describe, expect, it } from "vitest";
import { followIsOver } from "./follow-run.js";
import { etaSeconds, figuresText } from "./progress-view.js";

const backup = (state: string, ...deliveries: string[]) => ({ kind: "backup" as const, state: state as never, deliveries: deliveries.map((s, i) => ({ destinationId: `dst_${i}`, state: s as never, path: null })) });

describe("following a run", () => {
  it("goes on while the run runs, and for a completed backup while a delivery is pending or running (a retry waits as pending)", () => {
    expect(followIsOver(backup("running"), true)).toBe(false);
    expect(followIsOver(backup("completed", "completed", "running"), true)).toBe(false);
    expect(followIsOver(backup("completed", "pending"), true)).toBe(false);
    expect(followIsOver(backup("completed", "completed", "failed"), true)).toBe(true);
  });

  it("ends at the run's end when deliveries are not waited for, or the run did not complete", () => {
    expect(followIsOver(backup("completed", "running"), false)).toBe(true);
    expect(followIsOver(backup("failed", "pending"), true)).toBe(true);
    expect(followIsOver({ ...backup("completed"), kind: "restore" }, true)).toBe(true);
  });

  it("says step, bytes and rate, and percent and ETA only when the total is known", () => {
    expect(figuresText({ step: "dump", bytes: 35_900_000, percent: null, bytesPerSecond: 15_100_000 })).toBe("dump  35.9 MB  15.1 MB/s");
    expect(figuresText({ step: "download", bytes: 50_000_000, percent: 25, bytesPerSecond: 10_000_000 })).toBe("download  50 MB  10 MB/s  25%  ETA 15s");
    expect(etaSeconds({ step: "x", bytes: 10, percent: 0, bytesPerSecond: 1 })).toBeNull();
    expect(etaSeconds({ step: "x", bytes: 600, percent: 50, bytesPerSecond: 1 })).toBe(600);
  });
});
