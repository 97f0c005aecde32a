import { describe, expect, it } from "vitest";
import { formatDateTime, formatDuration, formatRelative } from "./time.js";

describe("formatDateTime", () => {
  it("shows a UTC instant in the viewer's zone, with the zone named", () => {
    expect(formatDateTime("2026-12-07T03:00:00Z", { timeZone: "Europe/Lisbon" })).toBe("2026-12-07 03:00 (Europe/Lisbon)");
    expect(formatDateTime("2026-12-07T03:00:00Z", { timeZone: "Asia/Kolkata" })).toBe("2026-12-07 08:30 (Asia/Kolkata)");
    expect(formatDateTime("2026-12-07T03:00:00Z", { timeZone: "America/New_York" })).toBe("2026-12-06 22:00 (America/New_York)");
  });

  it("follows daylight saving time: the same UTC hour reads an hour later in summer", () => {
    expect(formatDateTime("2026-07-07T03:00:00Z", { timeZone: "Europe/Lisbon" })).toBe("2026-07-07 04:00 (Europe/Lisbon)");
  });

  it("writes midnight as 00, never 24, and seconds when asked", () => {
    expect(formatDateTime("2026-03-01T00:00:05Z", { timeZone: "UTC", seconds: true })).toBe("2026-03-01 00:00:05 (UTC)");
  });

  it("leaves the zone out when a heading names it", () => {
    expect(formatDateTime(new Date("2026-12-07T03:00:00Z"), { timeZone: "UTC", withZone: false })).toBe("2026-12-07 03:00");
  });

  it("says so for a value that is not a time", () => {
    expect(formatDateTime("yesterday", { timeZone: "UTC" })).toBe("invalid date");
  });
});

describe("formatRelative", () => {
  const now = new Date("2026-12-07T12:00:00Z");
  it.each([
    ["2026-12-07T11:59:58Z", "now"],
    ["2026-12-07T11:59:30Z", "30 seconds ago"],
    ["2026-12-07T11:55:00Z", "5 minutes ago"],
    ["2026-12-07T09:00:00Z", "3 hours ago"],
    ["2026-12-06T11:00:00Z", "yesterday"],
    ["2026-12-07T15:00:00Z", "in 3 hours"],
    ["2026-11-01T12:00:00Z", "last month"],
  ])("%s is %s", (value, expected) => {
    expect(formatRelative(value, now)).toBe(expected);
  });
});

describe("formatDuration", () => {
  it.each([
    [850, "850 ms"],
    [12_400, "12 s"],
    [185_000, "3 min 05 s"],
    [7_800_000, "2 h 10 min"],
    [-1, "—"],
  ])("%d ms reads %s", (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });
});
