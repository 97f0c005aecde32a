import { HoldfastError } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { assertTimeZone, compileCron, formatWithOffset, nextFirings } from "./cron.js";

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const local = (dates: Date[], tz: string) => dates.map((d) => formatWithOffset(d, tz));

function refusal(fn: () => unknown): HoldfastError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HoldfastError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("compileCron", () => {
  it.each([
    ["0 3 * * *"],
    ["*/15 * * * *"],
    ["0 3 * * MON-FRI"],
    ["30 0 3 * * *"], // seconds first: accepted (docs/architecture.md, "Conventions": clocks)
    ["@daily"],
    ["0 0 29 2 *"], // fires in leap years only
  ])("accepts %s", (cron) => {
    expect(() => compileCron(cron, "Europe/Berlin")).not.toThrow();
  });

  it.each([
    ["0 3 * *", /4 fields/],
    ["0 0 3 * * * 2027", /7 fields/],
    ["2026-05-01T03:00:00", /1 fields/], // croner would take it as a one-off date
    ["61 3 * * *", /minute/],
    ["0 3 * * FOO", /./],
    ["0 0 31 2 *", /never fires/],
    ["@reboot", /./],
    ["", /0 fields|1 fields/],
  ])("refuses %j naming the cron field", (cron, message) => {
    const err = refusal(() => compileCron(cron, "UTC"));
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(err.message).toMatch(/^Invalid cron: /);
    expect(err.message).toMatch(message);
    expect(err.details).toEqual({ issues: [{ path: "cron", message: expect.any(String) }] });
  });

  it.each([["Mars/Olympus_Mons"], ["+02:00"], ["GMT+5"], [""], ["Europe/Berlin "]])("refuses the time zone %j naming the timezone field", (tz) => {
    const err = refusal(() => compileCron("0 3 * * *", tz));
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(err.details).toEqual({ issues: [{ path: "timezone", message: expect.stringContaining("IANA") }] });
  });

  it.each([["UTC"], ["Asia/Kolkata"], ["Asia/Calcutta"], ["America/Sao_Paulo"], ["Pacific/Chatham"]])("accepts the time zone %s", (tz) => {
    expect(() => assertTimeZone(tz)).not.toThrow();
  });
});

describe("nextFirings", () => {
  it("lists firings strictly after `from`", () => {
    expect(iso(nextFirings("0 3 * * *", "UTC", new Date("2026-05-01T03:00:00Z"), 2))).toEqual(["2026-05-02T03:00:00.000Z", "2026-05-03T03:00:00.000Z"]);
  });

  it("Berlin spring-forward: a 02:30 daily job runs at 03:00 CEST on the day 02:30 does not exist", () => {
    const next = nextFirings("30 2 * * *", "Europe/Berlin", new Date("2026-03-27T12:00:00Z"), 3);
    expect(local(next, "Europe/Berlin")).toEqual(["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]);
  });

  it("Berlin fall-back: a 02:30 daily job runs once, at the first 02:30", () => {
    const next = nextFirings("30 2 * * *", "Europe/Berlin", new Date("2026-10-24T12:00:00Z"), 2);
    expect(iso(next)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
    expect(local(next, "Europe/Berlin")).toEqual(["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]);
  });

  it("Berlin spring-forward: an every-30-minutes job skips the missing hour", () => {
    const next = nextFirings("*/30 * * * *", "Europe/Berlin", new Date("2026-03-29T00:15:00Z"), 3);
    expect(local(next, "Europe/Berlin")).toEqual(["2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"]);
  });

  it("Sao Paulo 2018: a midnight job on the day midnight was skipped runs at 01:00 -02", () => {
    const next = nextFirings("0 0 * * *", "America/Sao_Paulo", new Date("2018-11-02T12:00:00Z"), 3);
    expect(local(next, "America/Sao_Paulo")).toEqual(["2018-11-03T00:00:00-03:00", "2018-11-04T01:00:00-02:00", "2018-11-05T00:00:00-02:00"]);
  });

  it("Kolkata (+05:30) and Chatham (+13:45 in summer, +12:45 in winter)", () => {
    expect(iso(nextFirings("0 3 * * *", "Asia/Kolkata", new Date("2026-01-01T00:00:00Z"), 1))).toEqual(["2026-01-01T21:30:00.000Z"]);
    expect(iso(nextFirings("0 3 * * *", "Pacific/Chatham", new Date("2026-01-01T00:00:00Z"), 1))).toEqual(["2026-01-01T13:15:00.000Z"]);
    expect(iso(nextFirings("0 3 * * *", "Pacific/Chatham", new Date("2026-07-01T00:00:00Z"), 1))).toEqual(["2026-07-01T14:15:00.000Z"]);
  });

  it.each([[0], [101], [1.5]])("refuses count %s", (count) => {
    expect(refusal(() => nextFirings("0 3 * * *", "UTC", new Date(), count)).details).toEqual({ issues: [{ path: "count", message: expect.any(String) }] });
  });
});

describe("formatWithOffset", () => {
  it.each([
    ["2026-03-29T01:00:00Z", "Europe/Berlin", "2026-03-29T03:00:00+02:00"],
    ["2026-03-29T00:59:59Z", "Europe/Berlin", "2026-03-29T01:59:59+01:00"],
    ["2026-01-01T21:30:00Z", "Asia/Kolkata", "2026-01-02T03:00:00+05:30"],
    ["2026-01-01T13:15:00Z", "Pacific/Chatham", "2026-01-02T03:00:00+13:45"],
    ["2026-07-01T14:15:00Z", "Pacific/Chatham", "2026-07-02T03:00:00+12:45"],
    ["2018-11-04T03:00:00Z", "America/Sao_Paulo", "2018-11-04T01:00:00-02:00"],
    ["2026-07-01T12:00:00Z", "America/St_Johns", "2026-07-01T09:30:00-02:30"],
    ["2026-01-01T00:00:00Z", "America/New_York", "2025-12-31T19:00:00-05:00"],
    ["2026-05-01T00:00:00.250Z", "UTC", "2026-05-01T00:00:00.250+00:00"],
    ["2026-05-01T00:00:00Z", "UTC", "2026-05-01T00:00:00+00:00"],
  ])("%s in %s is %s", (instant, tz, expected) => {
    expect(formatWithOffset(new Date(instant), tz)).toBe(expected);
    expect(new Date(expected).toISOString()).toBe(new Date(instant).toISOString()); // still the same instant
  });
});
