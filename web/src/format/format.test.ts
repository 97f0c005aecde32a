import { describe, expect, it } from "vitest";
import { formatBytes } from "./bytes.js";
import { describeCron } from "./cron.js";

describe("formatBytes", () => {
  it("counts in decimal units, as quotas do", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1_000_000_000)).toBe("1 GB");
    expect(formatBytes(1_234_567_890)).toBe("1.23 GB");
  });

  it("shows a dash for a size not known yet", () => {
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(undefined)).toBe("—");
  });
});

describe("describeCron", () => {
  it("reads five fields in 24-hour time", () => {
    expect(describeCron("0 3 * * *")).toBe("At 03:00");
    expect(describeCron("30 14 * * 1-5")).toBe("At 14:30, Monday through Friday");
  });

  it("reads six fields with seconds first, as croner does", () => {
    expect(describeCron("15 0 3 * * *")).toBe("At 03:00:15");
  });

  it("answers null for what is not a cron", () => {
    expect(describeCron("every night")).toBeNull();
    expect(describeCron("")).toBeNull();
  });
});
