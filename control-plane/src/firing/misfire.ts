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
  /** The newest firing since the cursor still within grace: run it (decideMisfire says how). */
  due: Date | null;
  /** Every other firing since the cursor, oldest first, newest MAX_LISTED_MISSED only: record them `missed`. */
  missed: Date[];
  /** Firings older than those listed were missed too (a long outage); record one summary, not thousands. */
  moreMissed: boolean;
}

/**
 * The firings between the last one recorded and now (end included), e.g. after a control-plane
 * restart. Only the newest within grace runs: older ones, even within grace, are recorded missed,
 * because queueing five backups of the same database for five firings lost to one outage protects
 * no more data than one. `cursor` is the fire time of the last recorded firing, or the time the
 * schedule was created or resumed, so a new or paused schedule never fires for its past.
 * croner is walked backwards from now, so the cost is bounded however long the outage was.
 */
export function dueFirings(cron: string, timeZone: string, cursor: Date, now: Date, graceMs: number): DueFirings {
  // previousRuns counts a run in the same second as its reference: +1 ms includes a firing at `now`.
  const fetched = compileCron(cron, timeZone).previousRuns(MAX_LISTED_MISSED + 2, new Date(now.getTime() + 1));
  const since = fetched.filter((t) => t > cursor && t <= now); // newest first
  const newest = since[0];
  const due = newest && decideMisfire({ fireTime: newest, now, agentOnline: true, graceMs }) === "dispatch" ? newest : null;
  const older = due ? since.slice(1) : since;
  // One more than can be listed was fetched: if it is there, older firings may be too.
  return { due, missed: older.slice(0, MAX_LISTED_MISSED).reverse(), moreMissed: older.length > MAX_LISTED_MISSED };
}
