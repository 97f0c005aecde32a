import type { Cron } from "croner";
import { compileCron } from "../schedules/cron.js";

/**
 * Compiled crons by pattern and zone: stats judge every datasource's schedules on each request, and
 * at 2,000 datasources compiling each (zone check, parse, a trial run) cost more than the queries.
 * Most schedules share a few patterns; the memo is dropped whole when it grows past its bound.
 */
const compiled = new Map<string, Cron | null>();
const MEMO_MAX = 1_000;

function compiledCron(cron: string, timezone: string): Cron | null {
  const key = `${timezone}\u0000${cron}`;
  let job = compiled.get(key);
  if (job !== undefined) return job;
  try {
    job = compileCron(cron, timezone);
  } catch {
    job = null; // a schedule the API accepted always compiles; an old row that does not is no verdict
  }
  if (compiled.size >= MEMO_MAX) compiled.clear();
  compiled.set(key, job);
  return job;
}

/** An active (not paused) schedule of a datasource, as freshness reads it. */
export interface ActiveSchedule {
  cron: string;
  timezone: string;
  createdAt: number;
}

export interface Freshness {
  /** The first firing of an active schedule after the last good backup was asked for; null without an active schedule. */
  dueAt: number | null;
  /** True once that firing is past by more than the grace and no newer good backup exists. */
  overdue: boolean;
}

/**
 * Whether a datasource's last good backup is older than its schedules imply. A backup was due at the
 * first firing after the last good one was asked for (its fire time, or when it was created); a
 * schedule created later counts from its creation. The grace is the run's longest allowed duration
 * or the gap to the firing after, whichever is shorter: a daily backup that may take 6 h turns
 * overdue 6 h after the firing it missed, an hourly one when the next hour comes.
 */
export function backupFreshness(lastGoodAskedAt: number | null, schedules: readonly ActiveSchedule[], maxDurationMs: number, now: number): Freshness {
  let dueAt: number | null = null;
  let overdueAt: number | null = null;
  for (const s of schedules) {
    const job = compiledCron(s.cron, s.timezone);
    if (!job) continue;
    const [due, after] = job.nextRuns(2, new Date(Math.max(lastGoodAskedAt ?? -Infinity, s.createdAt)));
    if (!due) continue;
    const grace = Math.min(maxDurationMs, after ? after.getTime() - due.getTime() : maxDurationMs);
    if (dueAt === null || due.getTime() < dueAt) dueAt = due.getTime();
    const late = due.getTime() + grace;
    if (overdueAt === null || late < overdueAt) overdueAt = late;
  }
  return { dueAt, overdue: overdueAt !== null && now > overdueAt };
}
