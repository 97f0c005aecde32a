// The retention planners' reference model: random backup sets (some held, verified, manual, failed)
// and the keep set computed rule by rule, apart from the planner (restic's semantics), with every
// reason a decision gives checked against it. Used by plan-gfs.property.test.ts (400 cases) and by
// the fault suite (tests/faults/retention.test.ts: 10,000).
import fc from "fast-check";
import { expect } from "vitest";
import { calendarKeys } from "../retention/calendar.js";
import { planGfsRetention } from "../retention/plan-gfs.js";
import { planManualRetention } from "../retention/plan-manual.js";
import { newestFirst, type GfsPolicy, type RetentionBackup } from "../retention/types.js";

const ZONES = ["UTC", "Europe/Berlin", "America/Sao_Paulo", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Asia/Tokyo"];
const RULES = ["daily", "weekly", "monthly", "yearly"] as const;
const COUNT_OF = { daily: "keepDaily", weekly: "keepWeekly", monthly: "keepMonthly", yearly: "keepYearly" } as const;
const MINUTE = 60_000;

/** true `percent` times in 100. */
const chance = (percent: number) => fc.oneof({ arbitrary: fc.constant(true), weight: percent }, { arbitrary: fc.constant(false), weight: 100 - percent });
/** A rule's count: unset 2 times in 5, otherwise 0 to 5. */
const count = fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 3 });

export interface Scenario {
  backups: RetentionBackup[];
  policy: GfsPolicy;
  timeZone: string;
  manualDays: number | undefined;
  now: Date;
}

/** Up to 59 backups over 3 days, 40 days or 3+ years from a day in 2018-2026, mostly good, some verified or manual. */
export const scenarios: fc.Arbitrary<Scenario> = fc
  .record({ spanMinutes: fc.constantFrom(3 * 1440, 40 * 1440, 1200 * 1440), startDay: fc.integer({ min: 0, max: 2999 }) })
  .chain(({ spanMinutes, startDay }) => {
    const start = Date.UTC(2018, 0, 1) + startDay * 1440 * MINUTE;
    const held = fc.oneof({ arbitrary: fc.constant(null), weight: 92 }, { arbitrary: fc.constantFrom("", "case 2026-114", "audit"), weight: 8 });
    const backup = fc.record({ minute: fc.integer({ min: 0, max: spanMinutes - 1 }), ok: chance(85), verified: chance(15), manual: chance(10), held });
    return fc.record({
      backups: fc.array(backup, { maxLength: 59, size: "max" }).map((xs) => xs.map(({ minute, ...b }, i): RetentionBackup => ({ id: `b${i}`, finishedAt: new Date(start + minute * MINUTE), ...b }))),
      policy: fc.record({ keepLast: count, keepDaily: count, keepWeekly: count, keepMonthly: count, keepYearly: count }),
      timeZone: fc.constantFrom(...ZONES),
      manualDays: fc.constantFrom(undefined, 0, 7, 400),
      now: fc.constant(new Date(start + spanMinutes * MINUTE)),
    });
  });

const svFormatters = new Map<string, Intl.DateTimeFormat>();

/** The wall date read another way than the planner does (sv-SE formats as YYYY-MM-DD). */
function bucketOf(rule: (typeof RULES)[number], at: Date, timeZone: string): string {
  if (!svFormatters.has(timeZone)) svFormatters.set(timeZone, new Intl.DateTimeFormat("sv-SE", { timeZone }));
  const day = svFormatters.get(timeZone)!.format(at);
  if (rule === "daily") return day;
  if (rule === "monthly") return day.slice(0, 7);
  if (rule === "yearly") return day.slice(0, 4);
  return calendarKeys(at, timeZone).week;
}

/** restic's keep set, computed rule by rule rather than in one pass. */
function expectedKeep(backups: RetentionBackup[], policy: GfsPolicy, timeZone: string): Set<string> {
  const candidates = newestFirst(backups.filter((b) => b.ok && !b.manual));
  const keep = new Set(backups.filter((b) => !b.ok || b.manual).map((b) => b.id));
  const good = newestFirst(backups.filter((b) => b.ok));
  for (const b of [good[0], good.find((g) => g.verified)]) if (b) keep.add(b.id);
  for (const b of backups) if (b.held !== null && b.held !== undefined) keep.add(b.id);
  const counts = [policy.keepLast, policy.keepDaily, policy.keepWeekly, policy.keepMonthly, policy.keepYearly];
  if (counts.every((c) => !c)) return new Set(backups.map((b) => b.id));
  candidates.slice(0, policy.keepLast ?? 0).forEach((b) => keep.add(b.id));
  for (const rule of RULES) {
    const n = policy[COUNT_OF[rule]] ?? 0;
    if (n === 0) continue;
    const newestOfBucket = new Map<string, RetentionBackup>();
    for (const b of candidates) if (!newestOfBucket.has(bucketOf(rule, b.finishedAt, timeZone))) newestOfBucket.set(bucketOf(rule, b.finishedAt, timeZone), b);
    [...newestOfBucket.values()].slice(0, n).forEach((b) => keep.add(b.id));
    const oldest = candidates.at(-1);
    if (newestOfBucket.size < n && oldest) keep.add(oldest.id);
  }
  return keep;
}

export function checkScenario({ backups, policy, timeZone, manualDays, now }: Scenario): void {
  const plan = planGfsRetention(backups, policy, timeZone);
  const byId = new Map(backups.map((b) => [b.id, b]));
  const candidates = newestFirst(backups.filter((b) => b.ok && !b.manual));
  const good = newestFirst(backups.filter((b) => b.ok));
  const newestVerified = good.find((b) => b.verified);

  expect(plan).toHaveLength(backups.length);
  expect(new Set(plan.filter((d) => d.keep).map((d) => d.id))).toEqual(expectedKeep(backups, policy, timeZone));
  if (good[0]) expect(plan.find((d) => d.id === good[0]!.id)?.keep).toBe(true);
  if (newestVerified) expect(plan.find((d) => d.id === newestVerified.id)?.keep).toBe(true);

  const bucketsKept = { daily: new Set<string>(), weekly: new Set<string>(), monthly: new Set<string>(), yearly: new Set<string>() };
  for (const d of plan.filter((x) => x.keep)) {
    const b = byId.get(d.id)!;
    for (const reason of d.reasons) {
      const last = /^last (\d+)\/(\d+)$/.exec(reason);
      const bucket = /^(daily|weekly|monthly|yearly) (\S+)( \(oldest\))?$/.exec(reason);
      if (last) {
        expect(Number(last[2])).toBe(policy.keepLast);
        expect(candidates[Number(last[1]) - 1]?.id).toBe(b.id);
      } else if (bucket) {
        const rule = bucket[1] as (typeof RULES)[number];
        expect(bucketOf(rule, b.finishedAt, timeZone)).toBe(bucket[2]);
        const newestInBucket = candidates.find((c) => bucketOf(rule, c.finishedAt, timeZone) === bucket[2]);
        expect(bucket[3] ? candidates.at(-1)?.id : newestInBucket?.id).toBe(b.id);
        bucketsKept[rule].add(bucket[2]!);
      } else if (reason === "newest successful") expect(b.id).toBe(good[0]?.id);
      else if (reason === "newest verified") expect(b.id).toBe(newestVerified?.id);
      else if (reason === "manual: outside GFS") expect(b.manual).toBe(true);
      else if (reason === "held" || reason.startsWith("held: ")) expect(reason).toBe(b.held ? `held: ${b.held}` : "held");
      else if (reason === "failed: not a retention candidate") expect(b.ok).toBe(false);
      else expect(reason).toBe("policy is empty: keeping everything");
    }
  }
  for (const rule of RULES) expect(bucketsKept[rule].size).toBeLessThanOrEqual(policy[COUNT_OF[rule]] ?? 0);

  // GFS and manual plans together: nothing deleted that either invariant protects, no failed one deleted.
  const deleted = new Set([...plan, ...planManualRetention(backups, manualDays, now)].filter((d) => !d.keep).map((d) => d.id));
  for (const id of deleted) expect(byId.get(id)?.ok).toBe(true);
  if (good[0]) expect(deleted.has(good[0].id)).toBe(false);
  if (newestVerified) expect(deleted.has(newestVerified.id)).toBe(false);
  for (const b of backups) if (b.held !== null && b.held !== undefined) expect(deleted.has(b.id), `held ${b.id} deleted`).toBe(false);
}

