import { describe, expect, it } from "vitest";
import { parseBlackoutWindow } from "@holdfast/shared";
import { planFiring } from "../blackout/firing-plan.js";
import { decideMisfire, dueFirings, MAX_LISTED_MISSED } from "./misfire.js";

const MIN = 60_000;
const at = (iso: string) => new Date(iso);
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe("decideMisfire", () => {
  const fireTime = at("2026-05-01T03:00:00Z");
  const graceMs = 30 * MIN;
  it.each([
    ["on time, agent online", 0, true, "dispatch"],
    ["on time, agent offline", 0, false, "pending"],
    ["at the window's end, agent back", 30 * MIN, true, "dispatch"],
    ["at the window's end, agent still away", 30 * MIN, false, "pending"],
    ["just past the window, agent back", 30 * MIN + 1, true, "missed"],
    ["past the window, agent away", 2 * 60 * MIN, false, "missed"],
    ["a timer that woke early", -5_000, true, "dispatch"],
  ])("%s: %s", (_, lateMs, agentOnline, expected) => {
    expect(decideMisfire({ fireTime, now: new Date(fireTime.getTime() + lateMs), agentOnline, graceMs })).toBe(expected);
  });
});

describe("dueFirings", () => {
  it("nothing since the last firing: nothing to do", () => {
    expect(dueFirings("0 3 * * *", "UTC", at("2026-05-01T03:00:00Z"), at("2026-05-01T20:00:00Z"), 30 * MIN)).toEqual({ due: null, missed: [], moreMissed: false, skipped: [], cursor: null });
  });

  it("a firing exactly at now is due", () => {
    const r = dueFirings("0 3 * * *", "UTC", at("2026-04-30T03:00:00Z"), at("2026-05-01T03:00:00Z"), 0);
    expect(r.due).toEqual(at("2026-05-01T03:00:00Z"));
  });

  it("after a short restart, runs only the newest firing and records the older ones missed", () => {
    // every 10 minutes; down from 03:05 to 03:42 with a 30-minute grace: 03:10, 03:20, 03:30, 03:40 fell due
    const r = dueFirings("*/10 * * * *", "UTC", at("2026-05-01T03:00:00Z"), at("2026-05-01T03:42:00Z"), 30 * MIN);
    expect(r.due).toEqual(at("2026-05-01T03:40:00Z"));
    expect(iso(r.missed)).toEqual(["2026-05-01T03:10:00.000Z", "2026-05-01T03:20:00.000Z", "2026-05-01T03:30:00.000Z"]);
    expect(r.moreMissed).toBe(false);
  });

  it("past the grace window, the newest firing is missed as well", () => {
    const r = dueFirings("0 3 * * *", "Europe/Berlin", at("2026-04-29T01:00:00Z"), at("2026-05-01T09:00:00Z"), 30 * MIN);
    expect(r.due).toBeNull();
    expect(iso(r.missed)).toEqual(["2026-04-30T01:00:00.000Z", "2026-05-01T01:00:00.000Z"]);
  });

  it("a month-long outage of an every-minute schedule lists the newest 100 missed, flags the rest", () => {
    const now = at("2026-05-31T00:00:30Z");
    const r = dueFirings("* * * * *", "UTC", at("2026-05-01T00:00:00Z"), now, 5 * MIN);
    expect(r.due).toEqual(at("2026-05-31T00:00:00Z"));
    expect(r.missed).toHaveLength(MAX_LISTED_MISSED);
    expect(r.missed[0]).toEqual(at("2026-05-30T22:20:00Z"));
    expect(r.missed.at(-1)).toEqual(at("2026-05-30T23:59:00Z"));
    expect(r.moreMissed).toBe(true);
  });

  it("exactly 101 older firings: 100 listed, one more flagged", () => {
    // firings 00:01 .. 01:42 after a cursor at 00:00: 102 firings, 01:42 due, 101 missed
    const r = dueFirings("* * * * *", "UTC", at("2026-05-01T00:00:00Z"), at("2026-05-01T01:42:00Z"), 5 * MIN);
    expect(r.due).toEqual(at("2026-05-01T01:42:00Z"));
    expect(r.missed).toHaveLength(100);
    expect(r.moreMissed).toBe(true);
  });

  it("exactly 100 older firings: all listed, nothing more", () => {
    const r = dueFirings("* * * * *", "UTC", at("2026-05-01T00:00:00Z"), at("2026-05-01T01:41:00Z"), 5 * MIN);
    expect(r.missed).toHaveLength(100);
    expect(r.missed[0]).toEqual(at("2026-05-01T00:01:00Z"));
    expect(r.moreMissed).toBe(false);
  });

  it("uses the same fire times as the forward schedule across a DST change (so firing keys match)", () => {
    // 02:30 daily in Berlin ran at 03:00 CEST (01:00Z) on 2026-03-29
    const r = dueFirings("30 2 * * *", "Europe/Berlin", at("2026-03-28T01:30:00Z"), at("2026-03-29T01:10:00Z"), 30 * MIN);
    expect(r).toEqual({ skipped: [], cursor: at("2026-03-29T01:00:00Z"), due: at("2026-03-29T01:00:00Z"), missed: [], moreMissed: false });
  });

  it("holds firings inside a blackout window until it ends, then runs them once at its end; skip records them", () => {
    const sets = [{ source: "agent" as const, timezone: "UTC", windows: [parseBlackoutWindow("fri 01:00-05:00")] }];
    const defer = (t: number) => planFiring(sets, "defer", t);
    const cursor = at("2026-05-01T00:30:00Z"); // a Friday
    // Inside the window: the 01:00..04:00 firings are held, the cursor does not move.
    expect(dueFirings("0 * * * *", "UTC", cursor, at("2026-05-01T04:59:00Z"), 30 * MIN, defer)).toMatchObject({ due: null, missed: [], cursor: null });
    // At its end: one run at 05:00 (the 05:00 firing is the same run), the cursor past all of them.
    const r = dueFirings("0 * * * *", "UTC", cursor, at("2026-05-01T05:00:00Z"), 30 * MIN, defer);
    expect(r).toMatchObject({ due: at("2026-05-01T05:00:00Z"), missed: [], skipped: [], cursor: at("2026-05-01T05:00:00Z") });
    // Skip: every firing inside is recorded, none runs, the cursor moves past them as they pass.
    const skipped = dueFirings("0 * * * *", "UTC", cursor, at("2026-05-01T03:10:00Z"), 30 * MIN, (t) => planFiring(sets, "skip", t));
    expect(skipped.due).toBeNull();
    expect(iso(skipped.skipped.map((p) => new Date(p.cronTime)))).toEqual(["2026-05-01T01:00:00.000Z", "2026-05-01T02:00:00.000Z", "2026-05-01T03:00:00.000Z"]);
    expect(skipped.cursor).toEqual(at("2026-05-01T03:00:00Z"));
  });
});
