import { firingsAfter } from "./firing-series.js";

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
    const [due, after] = firingsAfter(s.cron, s.timezone, Math.max(lastGoodAskedAt ?? -Infinity, s.createdAt), 2) ?? [];
    if (due === undefined) continue;
    const grace = Math.min(maxDurationMs, after !== undefined ? after - due : maxDurationMs);
    if (dueAt === null || due < dueAt) dueAt = due;
    const late = due + grace;
    if (overdueAt === null || late < overdueAt) overdueAt = late;
  }
  return { dueAt, overdue: overdueAt !== null && now > overdueAt };
}
