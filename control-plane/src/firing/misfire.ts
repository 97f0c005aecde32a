import type { PlannedFiring } from "../blackout/firing-plan.js";
import { compileCron } from "../schedules/cron.js";

export type MisfireDecision = "dispatch" | "pending" | "missed";

export interface MisfireInput {
  fireTime: Date;
  now: Date;
  agentOnline: boolean;
  graceMs: number;
}

/**
 * What to do with a firing now. Lateness is measured from the fire time, whatever made it late (an
 * offline agent, a control plane that was down): past the grace window it is `missed` even if the
 * agent is online, because a backup hours late competes with the next firing and is not what the
 * operator scheduled. Within the window: sent when the agent is online, else `pending`, to be asked
 * again when it reconnects or when the window closes. The window's end is included.
 */
export function decideMisfire({ fireTime, now, agentOnline, graceMs }: MisfireInput): MisfireDecision {
  if (now.getTime() - fireTime.getTime() > graceMs) return "missed";
  return agentOnline ? "dispatch" : "pending";
}

/** At most this many missed firings are listed one by one; older ones are only counted as "more". */
export const MAX_LISTED_MISSED = 100;

export interface DueFirings {
  /** The newest run time since the cursor still within grace: run it (decideMisfire says how). */
  due: Date | null;
  /** Every other run time since the cursor, oldest first, newest MAX_LISTED_MISSED only: record them `missed`. */
  missed: Date[];
  /** Firings older than those listed were missed too (a long outage); record one summary, not thousands. */
  moreMissed: boolean;
  /** Firings inside a blackout window of a `skip` schedule (or whose windows leave no time): record them `missed`, naming the window. */
  skipped: PlannedFiring[];
  /** Where the cursor moves: the newest cron or run time handled here; null when nothing is. */
  cursor: Date | null;
}

const unplanned = (cronTime: number): PlannedFiring => ({ cronTime, runAt: cronTime, blackout: null });

/**
 * The firings between the last one recorded and now (end included), e.g. after a control-plane
 * restart. Only the newest within grace runs: older ones, even within grace, are recorded missed,
 * because queueing five backups of the same database for five firings lost to one outage protects
 * no more data than one. `cursor` is the fire time of the last recorded firing, or the time the
 * schedule was created or resumed, so a new or paused schedule never fires for its past.
 * croner is walked backwards from now, so the cost is bounded however long the outage was.
 * `plan` moves a firing inside a blackout window to the window's end or skips it (blackout/): a
 * firing whose window has not ended yet is held, with every later one, and the cursor stays before
 * it; firings deferred to the same end are one run, whose time is that end.
 */
export function dueFirings(cron: string, timeZone: string, cursor: Date, now: Date, graceMs: number, plan: (cronTime: number) => PlannedFiring = unplanned): DueFirings {
  // previousRuns counts a run in the same second as its reference: +1 ms includes a firing at `now`.
  const fetched = compileCron(cron, timeZone).previousRuns(MAX_LISTED_MISSED + 2, new Date(now.getTime() + 1));
  const since = fetched.filter((t) => t > cursor && t <= now).reverse(); // oldest first
  const runTimes: number[] = [];
  const skipped: PlannedFiring[] = [];
  let handled: number | null = null;
  for (const f of since) {
    const p = plan(f.getTime());
    if (p.runAt !== null && p.runAt > now.getTime()) break;
    handled = Math.max(handled ?? -Infinity, p.cronTime, p.runAt ?? -Infinity);
    if (p.runAt === null) skipped.push(p);
    else if (runTimes.at(-1) !== p.runAt) runTimes.push(p.runAt);
  }
  const newest = runTimes.at(-1);
  const due = newest !== undefined && decideMisfire({ fireTime: new Date(newest), now, agentOnline: true, graceMs }) === "dispatch" ? new Date(newest) : null;
  const older = (due ? runTimes.slice(0, -1) : runTimes).map((t) => new Date(t));
  return {
    due,
    missed: older.slice(-MAX_LISTED_MISSED),
    moreMissed: older.length > MAX_LISTED_MISSED,
    skipped: skipped.slice(-MAX_LISTED_MISSED),
    cursor: handled === null ? null : new Date(handled),
  };
}
