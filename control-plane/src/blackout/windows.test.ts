import { BlackoutWindow, parseBlackoutWindow } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { planFiring } from "./firing-plan.js";
import { nextRunTimes } from "./next-runs.js";
import { type BlackoutSet, blackoutAt, blackoutSpanAt } from "./windows.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null | undefined) => (ms == null ? ms : new Date(ms).toISOString());
const set = (timezone: string, ...windows: string[]): BlackoutSet => ({ source: "schedule", timezone, windows: windows.map(parseBlackoutWindow) });
const span = (sets: BlackoutSet[], when: string) => {
  const s = blackoutSpanAt(sets, at(when));
  return s && { from: iso(s.hit.startsAt), to: iso(s.hit.endsAt), clearAt: iso(s.clearAt) };
};

describe("blackout windows", () => {
  it("holds [from, to) on the days named, in the owner's zone", () => {
    const berlin = [set("Europe/Berlin", "mon,tue 01:00-05:00")];
    // Monday 2026-12-07: 01:00 CET is 00:00Z.
    expect(span(berlin, "2026-12-07T00:00:00Z")).toEqual({ from: "2026-12-07T00:00:00.000Z", to: "2026-12-07T04:00:00.000Z", clearAt: "2026-12-07T04:00:00.000Z" });
    expect(blackoutAt(berlin, at("2026-12-06T23:59:59Z"))).toBeNull();
    expect(blackoutAt(berlin, at("2026-12-07T04:00:00Z"))).toBeNull(); // a firing at `to` runs
    expect(blackoutAt(berlin, at("2026-12-09T02:00:00Z"))).toBeNull(); // Wednesday is not named
  });

  it("crosses midnight: the days name the day it starts", () => {
    const night = [set("UTC", "fri 22:00-02:00")];
    expect(span(night, "2026-12-12T01:30:00Z")).toEqual({ from: "2026-12-11T22:00:00.000Z", to: "2026-12-12T02:00:00.000Z", clearAt: "2026-12-12T02:00:00.000Z" });
    expect(blackoutAt(night, at("2026-12-12T22:30:00Z"))).toBeNull(); // Saturday night is not named
    expect(blackoutAt(night, at("2026-12-11T01:30:00Z"))).toBeNull(); // nor the Thursday night before
  });

  it("a Sunday window crosses into Monday", () => {
    const sunday = [set("America/Sao_Paulo", "sun 23:00-03:00")];
    // Monday 2026-12-14 01:00 in São Paulo (UTC-3) is 04:00Z, inside the window that began Sunday.
    expect(span(sunday, "2026-12-14T04:00:00Z")).toEqual({ from: "2026-12-14T02:00:00.000Z", to: "2026-12-14T06:00:00.000Z", clearAt: "2026-12-14T06:00:00.000Z" });
    expect(blackoutAt(sunday, at("2026-12-15T04:00:00Z"))).toBeNull(); // Monday night: Monday is not named
  });

  it("on a spring-forward day a time the gap skips is the first instant after it", () => {
    // Berlin, 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00Z.
    expect(span([set("Europe/Berlin", "sun 02:30-04:00")], "2026-03-29T01:00:00Z")).toEqual({ from: "2026-03-29T01:00:00.000Z", to: "2026-03-29T02:00:00.000Z", clearAt: "2026-03-29T02:00:00.000Z" });
    // A window wholly inside the gap holds nothing that day, and the usual hour the next Sunday.
    const inGap = [set("Europe/Berlin", "sun 02:10-02:50")];
    expect(blackoutAt(inGap, at("2026-03-29T01:00:00Z"))).toBeNull();
    expect(blackoutAt(inGap, at("2026-03-29T00:59:59Z"))).toBeNull();
    expect(span(inGap, "2026-04-05T00:20:00Z")).toMatchObject({ from: "2026-04-05T00:10:00.000Z", to: "2026-04-05T00:50:00.000Z" });
    // São Paulo, 2018-11-04 (when Brazil still had DST): midnight jumped to 01:00 at 03:00Z. A
    // Saturday window to 00:30 ends at that jump; one from 00:30 starts there.
    expect(span([set("America/Sao_Paulo", "sat 22:00-00:30")], "2018-11-04T02:59:00Z")).toMatchObject({ to: "2018-11-04T03:00:00.000Z" });
    expect(span([set("America/Sao_Paulo", "sun 00:30-02:00")], "2018-11-04T03:00:00Z")).toEqual({ from: "2018-11-04T03:00:00.000Z", to: "2018-11-04T04:00:00.000Z", clearAt: "2018-11-04T04:00:00.000Z" });
  });

  it("on a fall-back day a wall-clock window holds both passes of the repeated hour", () => {
    // Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET at 01:00Z. 02:00-03:00 starts at the first 02:00 (00:00Z) and ends at 03:00 CET (02:00Z).
    const repeated = [set("Europe/Berlin", "sun 02:00-03:00")];
    expect(span(repeated, "2026-10-25T01:30:00Z")).toEqual({ from: "2026-10-25T00:00:00.000Z", to: "2026-10-25T02:00:00.000Z", clearAt: "2026-10-25T02:00:00.000Z" });
  });

  it("composes windows of both owners as one span, each in its own zone", () => {
    const schedule = set("Europe/Berlin", "mon 01:00-03:00"); // 00:00Z-02:00Z in December
    const agent: BlackoutSet = { source: "agent", timezone: "UTC", windows: [parseBlackoutWindow("mon 01:30-04:00")] };
    expect(span([schedule, agent], "2026-12-07T00:30:00Z")).toEqual({ from: "2026-12-07T00:00:00.000Z", to: "2026-12-07T02:00:00.000Z", clearAt: "2026-12-07T04:00:00.000Z" });
    // Windows that leave no time at all: no clear time within 8 days.
    const always = set("UTC", "mon,tue,wed,thu,fri,sat,sun 00:00-12:00", "mon,tue,wed,thu,fri,sat,sun 12:00-00:00");
    expect(span([always], "2026-12-07T05:00:00Z")).toMatchObject({ clearAt: null });
  });

  it("defers a firing inside a window to its end, or skips it", () => {
    const sets = [set("UTC", "mon 01:00-05:00")];
    expect(planFiring(sets, "defer", at("2026-12-07T02:00:00Z"))).toMatchObject({ runAt: at("2026-12-07T05:00:00Z") });
    expect(planFiring(sets, "skip", at("2026-12-07T02:00:00Z"))).toMatchObject({ runAt: null, skipReason: "skip" });
    expect(planFiring(sets, "skip", at("2026-12-07T05:00:00Z"))).toMatchObject({ runAt: at("2026-12-07T05:00:00Z"), blackout: null });
  });

  it("refuses a window without days, with from = to, or with a time that is not HH:MM", () => {
    expect(BlackoutWindow.safeParse({ days: [], from: "01:00", to: "05:00" }).success).toBe(false);
    expect(BlackoutWindow.safeParse({ days: ["mon"], from: "01:00", to: "01:00" }).success).toBe(false);
    expect(BlackoutWindow.safeParse({ days: ["mon"], from: "24:00", to: "01:00" }).success).toBe(false);
    expect(BlackoutWindow.safeParse({ days: ["monday"], from: "01:00", to: "05:00" }).success).toBe(false);
    expect(() => parseBlackoutWindow("01:00-05:00")).toThrow(/not a window/);
    expect(parseBlackoutWindow("Mon, sat 1:00-05:30")).toEqual({ days: ["mon", "sat"], from: "01:00", to: "05:30" });
  });

  it("lists the next runs of a minutely cron across an 8-hour window: one at its end, then every minute; skip lists none inside", () => {
    const sets = [set("UTC", "mon 01:00-09:00")];
    const from = at("2026-12-07T00:58:30Z");
    const defer = nextRunTimes("* * * * *", "UTC", (t) => planFiring(sets, "defer", t), from, from, 4).map(iso);
    expect(defer).toEqual(["2026-12-07T00:59:00.000Z", "2026-12-07T09:00:00.000Z", "2026-12-07T09:01:00.000Z", "2026-12-07T09:02:00.000Z"]);
    const skip = nextRunTimes("* * * * *", "UTC", (t) => planFiring(sets, "skip", t), from, from, 3).map(iso);
    expect(skip).toEqual(["2026-12-07T00:59:00.000Z", "2026-12-07T09:00:00.000Z", "2026-12-07T09:01:00.000Z"]);
    // A firing passed inside the window (the loop's cursor before it) still runs at the window's end.
    expect(nextRunTimes("0 * * * *", "UTC", (t) => planFiring(sets, "defer", t), at("2026-12-07T01:30:00Z"), at("2026-12-07T02:10:00Z"), 1).map(iso)).toEqual(["2026-12-07T09:00:00.000Z"]);
  });
});
