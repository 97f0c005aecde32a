import type { RetentionPolicy } from "@holdfast/shared";

/** One backup as retention sees it: a run and its artifact on one destination. */
export interface RetentionBackup {
  id: string;
  finishedAt: Date;
  /**
   * The run completed and its delivery to this destination completed. Anything else (failed, still
   * delivering, cancelled) is not a retention candidate.
   */
  ok: boolean;
  /** A restore drill restored it. */
  verified?: boolean | null;
  /** Started by hand, not by the schedule: outside GFS, aged by `manualRetentionDays`. */
  manual?: boolean;
  /** Under a legal hold, with its reason: kept whatever the plan (held.ts). */
  held?: string | null;
}

export type GfsPolicy = Pick<RetentionPolicy, "keepLast" | "keepDaily" | "keepWeekly" | "keepMonthly" | "keepYearly">;

/** One line of a plan. `reasons` say why it is kept, or why no rule kept it. */
export interface RetentionDecision {
  id: string;
  keep: boolean;
  reasons: string[];
}

/** Newest first; ties broken by id so that the same input always gives the same plan. */
export function newestFirst<T extends RetentionBackup>(backups: readonly T[]): T[] {
  return [...backups].sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
