import { HoldfastError } from "@holdfast/shared";
import { calendarKeys, type CalendarKeys } from "./calendar.js";
import { protectedReasons } from "./protected.js";
import { newestFirst, type GfsPolicy, type RetentionBackup, type RetentionDecision } from "./types.js";

export const EMPTY_POLICY = "policy is empty: keeping everything";
export const MANUAL_OUTSIDE_GFS = "manual: outside GFS";
export const FAILED_NOT_CANDIDATE = "failed: not a retention candidate";
export const NOT_YET_CANDIDATE = "finished after now: not a candidate yet";

type RuleName = "last" | "daily" | "weekly" | "monthly" | "yearly";
interface Rule {
  name: RuleName;
  count: number;
  key: (keys: CalendarKeys, index: number) => string;
}

function rulesOf(policy: GfsPolicy): Rule[] {
  const rules: Rule[] = [
    { name: "last", count: policy.keepLast ?? 0, key: (_, index) => `#${index}` },
    { name: "daily", count: policy.keepDaily ?? 0, key: (k) => k.day },
    { name: "weekly", count: policy.keepWeekly ?? 0, key: (k) => k.week },
    { name: "monthly", count: policy.keepMonthly ?? 0, key: (k) => k.month },
    { name: "yearly", count: policy.keepYearly ?? 0, key: (k) => k.year },
  ];
  return rules.filter((r) => r.count > 0);
}

/**
 * Why a backup takes no part in GFS, or null when it does. Failed or unfinished backups are kept
 * out: never a bucket's representative (a failed run must not use up its day and push out that
 * day's good backup) and never deleted here, because a delivery still running or one that left a
 * partial object is the delivery's to finish or clean up, and retention deletes only artifacts it
 * knows were written whole. Manual backups age by `manualRetentionDays` (plan-manual.ts).
 */
function outsideGfs(b: RetentionBackup, now: Date | undefined): string | null {
  if (b.manual) return MANUAL_OUTSIDE_GFS;
  if (!b.ok) return FAILED_NOT_CANDIDATE;
  if (now && b.finishedAt > now) return NOT_YET_CANDIDATE;
  return null;
}

/**
 * restic's `forget` (internal/restic/snapshot_policy.go), newest first: each rule keeps a backup
 * whose bucket differs from the last one it kept, until its count is used; a rule with counts left
 * also keeps the oldest backup, so a short history is kept whole rather than thinned. Days, ISO
 * weeks, months and years are read on the wall calendar of `timeZone`.
 */
function applyRules(candidates: RetentionBackup[], rules: Rule[], timeZone: string): Map<string, Omit<RetentionDecision, "id">> {
  const state = rules.map((r) => ({ ...r, left: r.count, lastKey: undefined as string | undefined }));
  const plan = new Map<string, Omit<RetentionDecision, "id">>();
  candidates.forEach((b, index) => {
    const keys = calendarKeys(b.finishedAt, timeZone);
    const oldest = index === candidates.length - 1;
    const kept: string[] = [];
    const passed: string[] = [];
    for (const r of state) {
      const key = r.key(keys, index);
      const label = r.name === "last" ? `last ${r.count - r.left + 1}/${r.count}` : `${r.name} ${key}`;
      const sameBucket = key === r.lastKey;
      if (sameBucket && !(oldest && r.left > 0)) passed.push(`${label}: a newer one is kept`);
      else if (r.left === 0) passed.push(`${r.name}: all ${r.count} used`);
      else {
        kept.push(sameBucket ? `${label} (oldest)` : label);
        r.lastKey = key;
        r.left--;
      }
    }
    plan.set(b.id, kept.length > 0 ? { keep: true, reasons: kept } : { keep: false, reasons: passed });
  });
  return plan;
}

/**
 * What GFS keeps and deletes on one destination of one schedule, newest first, one decision per
 * backup given. A policy with every count off keeps everything: a misconfiguration must never
 * delete all. Whatever the policy, the newest successful and the newest verified backup stay.
 * `now`, when given, keeps backups finished after it out of the plan (a clock that went back).
 */
export function planGfsRetention(backups: readonly RetentionBackup[], policy: GfsPolicy, timeZone: string, now?: Date): RetentionDecision[] {
  if (new Set(backups.map((b) => b.id)).size !== backups.length) {
    throw new HoldfastError("INTERNAL_ERROR", "Retention was given the same backup twice");
  }
  const rules = rulesOf(policy);
  const candidates = newestFirst(backups.filter((b) => outsideGfs(b, now) === null));
  const planned =
    rules.length === 0 ? new Map(candidates.map((b) => [b.id, { keep: true, reasons: [EMPTY_POLICY] }])) : applyRules(candidates, rules, timeZone);
  const protectedBy = protectedReasons(backups);
  return newestFirst(backups).map((b) => {
    const outside = outsideGfs(b, now);
    const decision = outside ? { keep: true, reasons: [outside] } : planned.get(b.id)!;
    const guard = protectedBy.get(b.id) ?? [];
    if (guard.length === 0) return { id: b.id, ...decision };
    return { id: b.id, keep: true, reasons: decision.keep ? [...decision.reasons, ...guard] : guard };
  });
}
