import { describe, expect, it } from "vitest";
import { calendarKeys } from "./calendar.js";
import { planGfsRetention } from "./plan-gfs.js";
import { planManualRetention } from "./plan-manual.js";
import { newestFirst, type GfsPolicy, type RetentionBackup } from "./types.js";

/** mulberry32: a small seeded PRNG, so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZONES = ["UTC", "Europe/Berlin", "America/Sao_Paulo", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Asia/Tokyo"];
const RULES = ["daily", "weekly", "monthly", "yearly"] as const;
const COUNT_OF = { daily: "keepDaily", weekly: "keepWeekly", monthly: "keepMonthly", yearly: "keepYearly" } as const;
const MINUTE = 60_000;

function scenario(seed: number) {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const spanMinutes = pick([3 * 1440, 40 * 1440, 1200 * 1440]);
  const start = Date.UTC(2018, 0, 1) + Math.floor(rand() * 3000) * 1440 * MINUTE;
  const backups: RetentionBackup[] = Array.from({ length: Math.floor(rand() * 60) }, (_, i) => ({
    id: `b${i}`,
    finishedAt: new Date(start + Math.floor(rand() * spanMinutes) * MINUTE),
    ok: rand() < 0.85,
    verified: rand() < 0.15,
    manual: rand() < 0.1,
  }));
  const count = () => (rand() < 0.4 ? undefined : Math.floor(rand() * 6));
  const policy: GfsPolicy = { keepLast: count(), keepDaily: count(), keepWeekly: count(), keepMonthly: count(), keepYearly: count() };
  return { backups, policy, timeZone: pick(ZONES), manualDays: pick([undefined, 0, 7, 400]), now: new Date(start + spanMinutes * MINUTE) };
}

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

function checkScenario(seed: number): void {
  const { backups, policy, timeZone, manualDays, now } = scenario(seed);
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
}

describe("planGfsRetention: properties over random backup sets", () => {
  it("match restic's keep set and justify every reason, for 400 seeded sets", () => {
    for (let seed = 0; seed < 400; seed++) {
      try {
        checkScenario(seed);
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}`);
      }
    }
  });
});
