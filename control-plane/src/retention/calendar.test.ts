import { describe, expect, it } from "vitest";
import { calendarKeys, isoWeekOf } from "./calendar.js";

describe("isoWeekOf", () => {
  it.each([
    ["2020-12-31", 2020, 53], // Thursday of a 53-week year
    ["2021-01-03", 2020, 53], // Sunday: still last year's week
    ["2021-01-04", 2021, 1],
    ["2019-12-29", 2019, 52],
    ["2019-12-30", 2020, 1], // Monday of next year's first week
    ["2024-12-30", 2025, 1],
    ["2026-12-31", 2026, 53],
    ["2027-01-01", 2026, 53],
    ["2010-01-03", 2009, 53],
    ["2024-02-29", 2024, 9],
  ])("%s is %i-W%i", (date, isoYear, isoWeek) => {
    const [y, m, d] = date.split("-").map(Number) as [number, number, number];
    expect(isoWeekOf(y, m, d)).toEqual({ isoYear, isoWeek });
  });
});

describe("calendarKeys", () => {
  it("reads the wall calendar of the zone, not UTC's", () => {
    // Chatham in January is +13:45: 10:15Z is midnight of the next day there.
    expect(calendarKeys(new Date("2026-01-01T10:15:00Z"), "Pacific/Chatham")).toEqual({ day: "2026-01-02", week: "2026-W01", month: "2026-01", year: "2026" });
    expect(calendarKeys(new Date("2026-01-01T10:14:00Z"), "Pacific/Chatham").day).toBe("2026-01-01");
    // Honolulu (-10): New Year's Eve evening there is already 2027 in UTC.
    expect(calendarKeys(new Date("2027-01-01T09:00:00Z"), "Pacific/Honolulu")).toEqual({ day: "2026-12-31", week: "2026-W53", month: "2026-12", year: "2026" });
  });
});
