import { compileCron } from "../schedules/cron.js";
import type { PlannedFiring } from "./firing-plan.js";

/** Cron firings walked at most for one answer: a minutely cron across an 8-hour window is 480. */
const MAX_WALK = 5_000;
const CHUNK = 64;

/**
 * The next `count` times a schedule runs, after its blackouts: its cron firings after `after`, each
 * moved to its window's end or dropped (`plan`), those after `notBefore` kept, a time several
 * deferred firings share listed once. `after` may be before `notBefore`: a firing already passed
 * inside a window still runs at the window's end, which is after now.
 */
export function nextRunTimes(cron: string, timezone: string, plan: (cronTime: number) => PlannedFiring, after: number, notBefore: number, count: number): number[] {
  const job = compileCron(cron, timezone);
  const runs: number[] = [];
  let cursor = after;
  for (let walked = 0; walked < MAX_WALK && runs.length < count; ) {
    const chunk = job.nextRuns(CHUNK, new Date(cursor));
    walked += chunk.length;
    let jumped = false;
    for (const t of chunk) {
      const p = plan(t.getTime());
      if (p.runAt !== null && p.runAt > notBefore && p.runAt !== runs.at(-1)) runs.push(p.runAt);
      cursor = Math.max(t.getTime(), skipPast(p));
      jumped = cursor > t.getTime();
      if (runs.length === count || jumped) break;
    }
    if (chunk.length < CHUNK && !jumped) break; // the cron has no more firings
  }
  return runs;
}

/**
 * Where the walk may go on from after a firing: every later firing inside the same window plans to
 * the same run (deferred) or to none (skipped), so they are not asked about one by one; a minutely
 * cron across an 8-hour window costs one plan, not 480.
 */
export function skipPast(p: PlannedFiring): number {
  if (!p.blackout) return p.cronTime;
  // Just before the end: a firing exactly at it is outside the window and is asked about.
  return (p.runAt ?? p.blackout.endsAt) - 1;
}
