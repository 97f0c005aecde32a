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
  let cursor = new Date(after);
  for (let walked = 0; walked < MAX_WALK && runs.length < count; ) {
    const chunk = job.nextRuns(CHUNK, cursor);
    for (const t of chunk) {
      const { runAt } = plan(t.getTime());
      if (runAt !== null && runAt > notBefore && runAt !== runs.at(-1)) runs.push(runAt);
      if (runs.length === count) break;
    }
    walked += chunk.length;
    if (chunk.length < CHUNK) break;
    cursor = chunk.at(-1)!;
  }
  return runs;
}
