import { describe, expect, it } from "vitest";
import { planGfsRetention } from "./plan-gfs.js";
import type { GfsPolicy, RetentionBackup } from "./types.js";

type Flags = Partial<Pick<RetentionBackup, "ok" | "verified" | "manual" | "held">>;
const b = (id: string, iso: string, flags: Flags = {}): RetentionBackup => ({ id, finishedAt: new Date(iso), ok: true, ...flags });

interface Case {
  name: string;
  timeZone: string;
  policy: GfsPolicy;
  backups: RetentionBackup[];
  keep: string[];
  reasons?: Record<string, string[]>;
  now?: string;
}

// Every local time in the comments was worked out by hand from the zone's offset at that instant.
const cases: Case[] = [
  {
    name: "Berlin spring-forward day: 00:30 CET and 03:30 CEST are both 2026-03-29",
    timeZone: "Europe/Berlin",
    policy: { keepDaily: 3 },
    backups: [
      b("a", "2026-03-29T22:30:00Z"), // Mar 30 00:30 CEST
      b("b", "2026-03-29T01:30:00Z"), // Mar 29 03:30 CEST (clocks jumped 02:00 -> 03:00 at 01:00Z)
      b("c", "2026-03-28T23:30:00Z"), // Mar 29 00:30 CET
      b("d", "2026-03-28T22:30:00Z"), // Mar 28 23:30 CET
    ],
    keep: ["a", "b", "d"],
    reasons: {
      a: ["daily 2026-03-30", "newest successful"],
      b: ["daily 2026-03-29"],
      c: ["daily 2026-03-29: a newer one is kept"],
      d: ["daily 2026-03-28"],
    },
  },
  {
    name: "Berlin fall-back day: its 25 hours are one bucket",
    timeZone: "Europe/Berlin",
    policy: { keepDaily: 2 },
    backups: [
      b("a", "2026-10-25T23:30:00Z"), // Oct 26 00:30 CET
      b("b", "2026-10-25T22:30:00Z"), // Oct 25 23:30 CET
      b("c", "2026-10-25T01:30:00Z"), // Oct 25 02:30 CET (the second 02:30)
      b("d", "2026-10-25T00:30:00Z"), // Oct 25 02:30 CEST (the first)
      b("e", "2026-10-24T22:30:00Z"), // Oct 25 00:30 CEST
      b("f", "2026-10-24T21:30:00Z"), // Oct 24 23:30 CEST
    ],
    keep: ["a", "b"],
    reasons: { d: ["daily 2026-10-25: a newer one is kept"], f: ["daily: all 2 used"] },
  },
  {
    name: "Sao Paulo 2018 DST start (midnight skipped): 23:30 -03 is still Nov 3",
    timeZone: "America/Sao_Paulo",
    policy: { keepDaily: 2 },
    backups: [
      b("a", "2018-11-04T03:30:00Z"), // Nov 4 01:30 -02
      b("b", "2018-11-04T02:30:00Z"), // Nov 3 23:30 -03
      b("c", "2018-11-03T12:00:00Z"), // Nov 3 09:00 -03
    ],
    keep: ["a", "b"],
    reasons: { a: ["daily 2018-11-04", "newest successful"], b: ["daily 2018-11-03"] },
  },
  {
    name: "Sao Paulo 2019 DST end: both 23:30s of the repeated hour are Feb 16",
    timeZone: "America/Sao_Paulo",
    policy: { keepDaily: 2 },
    backups: [
      b("a", "2019-02-17T03:30:00Z"), // Feb 17 00:30 -03
      b("b", "2019-02-17T02:30:00Z"), // Feb 16 23:30 -03 (second)
      b("c", "2019-02-17T01:30:00Z"), // Feb 16 23:30 -02 (first)
      b("d", "2019-02-16T12:00:00Z"), // Feb 16 10:00 -02
    ],
    keep: ["a", "b"],
    reasons: { b: ["daily 2019-02-16"], c: ["daily 2019-02-16: a newer one is kept"] },
  },
  {
    name: "New York: 23:30 and 00:30 local are different days though the same UTC day",
    timeZone: "America/New_York",
    policy: { keepDaily: 2 },
    backups: [
      b("a", "2026-01-15T05:30:00Z"), // Jan 15 00:30 EST
      b("b", "2026-01-15T04:30:00Z"), // Jan 14 23:30 EST
      b("c", "2026-01-14T15:00:00Z"), // Jan 14 10:00 EST
    ],
    keep: ["a", "b"],
    reasons: { a: ["daily 2026-01-15", "newest successful"], b: ["daily 2026-01-14"] },
  },
  {
    name: "New York spring-forward: the 23-hour Mar 8 is one bucket",
    timeZone: "America/New_York",
    policy: { keepDaily: 2 },
    backups: [
      b("a", "2026-03-09T03:30:00Z"), // Mar 8 23:30 EDT
      b("b", "2026-03-08T06:30:00Z"), // Mar 8 01:30 EST
      b("c", "2026-03-08T04:30:00Z"), // Mar 7 23:30 EST
      b("d", "2026-03-07T06:00:00Z"), // Mar 7 01:00 EST
    ],
    keep: ["a", "c"],
    reasons: { a: ["daily 2026-03-08", "newest successful"], c: ["daily 2026-03-07"] },
  },
  {
    name: "Kolkata (+05:30): 18:29Z and 18:30Z fall on either side of local midnight",
    timeZone: "Asia/Kolkata",
    policy: { keepDaily: 2 },
    backups: [
      b("a", "2026-05-09T18:30:00Z"), // May 10 00:00 IST
      b("b", "2026-05-09T18:29:00Z"), // May 9 23:59 IST
      b("c", "2026-05-09T10:00:00Z"),
    ],
    keep: ["a", "b"],
    reasons: { a: ["daily 2026-05-10", "newest successful"], b: ["daily 2026-05-09"] },
  },
  {
    name: "Tokyo month ends in a leap year: Feb 29 23:30 is February, 00:30 the next day is March",
    timeZone: "Asia/Tokyo",
    policy: { keepMonthly: 3 },
    backups: [
      b("m1", "2024-03-01T10:00:00Z"), // Mar 1 19:00 JST
      b("m2", "2024-02-29T15:30:00Z"), // Mar 1 00:30 JST
      b("m3", "2024-02-29T14:30:00Z"), // Feb 29 23:30 JST
      b("m4", "2024-02-28T12:00:00Z"), // Feb 28 21:00 JST
      b("m5", "2024-01-31T15:00:00Z"), // Feb 1 00:00 JST
      b("m6", "2024-01-31T14:59:00Z"), // Jan 31 23:59 JST
    ],
    keep: ["m1", "m3", "m6"],
    reasons: { m1: ["monthly 2024-03", "newest successful"], m3: ["monthly 2024-02"], m5: ["monthly 2024-02: a newer one is kept"], m6: ["monthly 2024-01"] },
  },
  {
    name: "Sao Paulo (-03, no DST since 2019): Jan 31 23:00 local is January though 02:00Z is February",
    timeZone: "America/Sao_Paulo",
    policy: { keepDaily: 1, keepMonthly: 2 },
    backups: [
      b("a", "2025-02-01T04:00:00Z"), // Feb 1 01:00
      b("b", "2025-02-01T02:00:00Z"), // Jan 31 23:00
      b("c", "2025-01-31T12:00:00Z"), // Jan 31 09:00
      b("d", "2025-01-01T02:00:00Z"), // Dec 31 2024 23:00
    ],
    keep: ["a", "b"],
    reasons: {
      a: ["daily 2025-02-01", "monthly 2025-02", "newest successful"],
      b: ["monthly 2025-01"],
      c: ["daily: all 1 used", "monthly 2025-01: a newer one is kept"],
      d: ["daily: all 1 used", "monthly: all 2 used"],
    },
  },
  {
    name: "ISO week 53 and week-years: 2020-12-31 and 2021-01-03 are 2020-W53, 2019-12-30 is 2020-W01",
    timeZone: "Europe/Berlin",
    policy: { keepWeekly: 4 },
    backups: [
      b("w1", "2021-01-04T11:00:00Z"), // Mon, 2021-W01
      b("w2", "2021-01-03T11:00:00Z"), // Sun, 2020-W53
      b("w3", "2020-12-31T11:00:00Z"), // Thu, 2020-W53
      b("w4", "2020-12-28T11:00:00Z"), // Mon, 2020-W53
      b("w5", "2020-12-27T11:00:00Z"), // Sun, 2020-W52
      b("w6", "2019-12-30T11:00:00Z"), // Mon, 2020-W01
      b("w7", "2019-12-29T11:00:00Z"), // Sun, 2019-W52
    ],
    keep: ["w1", "w2", "w5", "w6"],
    reasons: {
      w1: ["weekly 2021-W01", "newest successful"],
      w2: ["weekly 2020-W53"],
      w3: ["weekly 2020-W53: a newer one is kept"],
      w5: ["weekly 2020-W52"],
      w6: ["weekly 2020-W01"],
      w7: ["weekly: all 4 used"],
    },
  },
  {
    name: "ISO week boundary at local midnight in Berlin (Sun 23:30 vs Mon 00:30)",
    timeZone: "Europe/Berlin",
    policy: { keepWeekly: 2 },
    backups: [
      b("a", "2021-01-03T23:30:00Z"), // Mon Jan 4 00:30 CET
      b("b", "2021-01-03T22:30:00Z"), // Sun Jan 3 23:30 CET
      b("c", "2021-01-03T10:00:00Z"),
    ],
    keep: ["a", "b"],
    reasons: { a: ["weekly 2021-W01", "newest successful"], b: ["weekly 2020-W53"] },
  },
  {
    name: "2026 has 53 ISO weeks; 2027-01-01 belongs to 2026-W53",
    timeZone: "UTC",
    policy: { keepWeekly: 3 },
    backups: [b("a", "2027-01-04T12:00:00Z"), b("b", "2027-01-01T12:00:00Z"), b("c", "2026-12-28T12:00:00Z"), b("d", "2026-12-27T12:00:00Z")],
    keep: ["a", "b", "d"],
    reasons: { b: ["weekly 2026-W53"], c: ["weekly 2026-W53: a newer one is kept"], d: ["weekly 2026-W52"] },
  },
  {
    name: "yearly buckets are calendar years, not ISO week-years",
    timeZone: "UTC",
    policy: { keepYearly: 2 },
    backups: [b("a", "2027-01-04T12:00:00Z"), b("b", "2027-01-01T12:00:00Z"), b("c", "2026-12-28T12:00:00Z"), b("d", "2026-12-27T12:00:00Z")],
    keep: ["a", "c"],
    reasons: { b: ["yearly 2027: a newer one is kept"], c: ["yearly 2026"], d: ["yearly 2026: a newer one is kept"] },
  },
  {
    name: "days without backups do not count: keepDaily 3 reaches back 18 days",
    timeZone: "UTC",
    policy: { keepDaily: 3 },
    backups: [b("a", "2026-03-10T03:00:00Z"), b("b", "2026-03-07T03:00:00Z"), b("c", "2026-03-01T03:00:00Z"), b("d", "2026-02-20T03:00:00Z")],
    keep: ["a", "b", "c"],
    reasons: { c: ["daily 2026-03-01"], d: ["daily: all 3 used"] },
  },
  {
    name: "keepLast with keepDaily: each rule counts on its own",
    timeZone: "UTC",
    policy: { keepLast: 2, keepDaily: 2 },
    backups: [
      b("t1", "2026-05-10T18:00:00Z"),
      b("t2", "2026-05-10T12:00:00Z"),
      b("t3", "2026-05-10T06:00:00Z"),
      b("t4", "2026-05-09T12:00:00Z"),
      b("t5", "2026-05-08T12:00:00Z"),
    ],
    keep: ["t1", "t2", "t4"],
    reasons: {
      t1: ["last 1/2", "daily 2026-05-10", "newest successful"],
      t2: ["last 2/2"],
      t3: ["last: all 2 used", "daily 2026-05-10: a newer one is kept"],
      t4: ["daily 2026-05-09"],
      t5: ["last: all 2 used", "daily: all 2 used"],
    },
  },
  {
    name: "restic keeps the oldest backup while a rule has counts left",
    timeZone: "UTC",
    policy: { keepDaily: 5 },
    backups: [b("a", "2026-05-10T10:00:00Z"), b("b", "2026-05-10T09:00:00Z"), b("c", "2026-05-09T10:00:00Z"), b("d", "2026-05-09T08:00:00Z")],
    keep: ["a", "c", "d"],
    reasons: { b: ["daily 2026-05-10: a newer one is kept"], d: ["daily 2026-05-09 (oldest)"] },
  },
  {
    name: "a failed backup neither represents its day nor is deleted",
    timeZone: "UTC",
    policy: { keepDaily: 1 },
    backups: [b("f", "2026-05-10T12:00:00Z", { ok: false }), b("g", "2026-05-10T10:00:00Z"), b("h", "2026-05-09T10:00:00Z"), b("old-failed", "2020-01-01T00:00:00Z", { ok: false })],
    keep: ["f", "g", "old-failed"],
    reasons: { f: ["failed: not a retention candidate"], g: ["daily 2026-05-10", "newest successful"], h: ["daily: all 1 used"] },
  },
  {
    name: "the newest verified backup stays though no rule keeps it",
    timeZone: "UTC",
    policy: { keepLast: 1 },
    backups: [b("n1", "2026-05-10T00:00:00Z"), b("n2", "2026-05-09T00:00:00Z", { verified: true }), b("n3", "2026-05-08T00:00:00Z", { verified: true })],
    keep: ["n1", "n2"],
    reasons: { n1: ["last 1/1", "newest successful"], n2: ["newest verified"], n3: ["last: all 1 used"] },
  },
  {
    name: "manual backups are outside GFS: kept here and never a bucket's representative",
    timeZone: "UTC",
    policy: { keepDaily: 1 },
    backups: [b("m", "2026-05-10T12:00:00Z", { manual: true }), b("s1", "2026-05-10T10:00:00Z"), b("s2", "2026-05-09T10:00:00Z")],
    keep: ["m", "s1"],
    reasons: { m: ["manual: outside GFS", "newest successful"], s1: ["daily 2026-05-10"] },
  },
  {
    name: "a backup finished after now is not yet a candidate",
    timeZone: "UTC",
    policy: { keepLast: 1 },
    now: "2026-05-10T00:00:00Z",
    backups: [b("x", "2026-05-11T00:00:00Z"), b("y", "2026-05-09T00:00:00Z"), b("z", "2026-05-08T00:00:00Z")],
    keep: ["x", "y"],
    reasons: { x: ["finished after now: not a candidate yet", "newest successful"], y: ["last 1/1"] },
  },
  {
    name: "an empty policy keeps everything",
    timeZone: "UTC",
    policy: {},
    backups: [b("a", "2026-05-10T00:00:00Z"), b("b", "2020-05-09T00:00:00Z")],
    keep: ["a", "b"],
    reasons: { a: ["policy is empty: keeping everything", "newest successful"], b: ["policy is empty: keeping everything"] },
  },
  {
    name: "a policy of zeros is empty too",
    timeZone: "UTC",
    policy: { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 },
    backups: [b("a", "2026-05-10T00:00:00Z"), b("b", "2020-05-09T00:00:00Z")],
    keep: ["a", "b"],
  },
];

describe("planGfsRetention: hand-computed cases", () => {
  it.each(cases)("$name", ({ timeZone, policy, backups, keep, reasons, now }) => {
    const plan = planGfsRetention([...backups].reverse(), policy, timeZone, now ? new Date(now) : undefined);
    expect(plan.map((d) => d.id)).toEqual(backups.map((x) => x.id)); // newest first, one per backup
    expect(plan.filter((d) => d.keep).map((d) => d.id)).toEqual(keep);
    for (const [id, expected] of Object.entries(reasons ?? {})) {
      expect(plan.find((d) => d.id === id)?.reasons, id).toEqual(expected);
    }
  });

  it("gives the same plan whatever the input order, ties broken by id", () => {
    const same = "2026-05-10T00:00:00Z";
    const backups = [b("b", same), b("a", same), b("c", "2026-05-09T00:00:00Z")];
    const one = planGfsRetention(backups, { keepLast: 1 }, "UTC");
    const other = planGfsRetention([...backups].reverse(), { keepLast: 1 }, "UTC");
    expect(one).toEqual(other);
    expect(one.filter((d) => d.keep).map((d) => d.id)).toEqual(["a"]);
  });

  it("refuses a list naming a backup twice", () => {
    expect(() => planGfsRetention([b("a", "2026-05-10T00:00:00Z"), b("a", "2026-05-09T00:00:00Z")], {}, "UTC")).toThrow(/twice/);
  });

  it("keeps a held backup the policy would delete, saying why, and moves nothing else", () => {
    const backups = [b("a", "2026-05-10T00:00:00Z"), b("b", "2026-05-09T00:00:00Z"), b("c", "2026-05-08T00:00:00Z"), b("d", "2026-05-07T00:00:00Z")];
    const unheld = planGfsRetention(backups, { keepLast: 2 }, "UTC");
    expect(unheld.filter((d) => d.keep).map((d) => d.id)).toEqual(["a", "b"]);
    const held = planGfsRetention(backups.map((x) => (x.id === "c" ? { ...x, held: "case 2026-17" } : x)), { keepLast: 2 }, "UTC");
    expect(held.find((d) => d.id === "c")).toEqual({ id: "c", keep: true, reasons: ["held: case 2026-17"] });
    // The hold takes no rule's slot: every other backup's fate is what it was.
    expect(held.filter((d) => d.id !== "c")).toEqual(unheld.filter((d) => d.id !== "c"));
    // Held and kept anyway: the rule's reasons, then the hold.
    const both = planGfsRetention(backups.map((x) => (x.id === "b" ? { ...x, held: "" } : x)), { keepLast: 2 }, "UTC");
    expect(both.find((d) => d.id === "b")?.reasons).toEqual(["last 2/2", "held"]);
  });
});
