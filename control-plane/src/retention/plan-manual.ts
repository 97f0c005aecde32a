import { protectedReasons } from "./protected.js";
import { newestFirst, type RetentionBackup, type RetentionDecision } from "./types.js";
import { FAILED_NOT_CANDIDATE } from "./plan-gfs.js";

const DAY_MS = 86_400_000;
export const SCHEDULED_BY_GFS = "scheduled: decided by GFS";
export const MANUAL_NO_LIMIT = "manual: kept until deleted";

/**
 * Manual backups are outside GFS: each goes once older than `manualRetentionDays` (24-hour days
 * from its finish). 0 or absent keeps them until deleted, as 0 switches a GFS rule off. Scheduled
 * backups are answered "keep" and left to planGfsRetention; failed ones are kept out, as there.
 * The newest successful and newest verified backup stay whatever their age, so a datasource backed
 * up only by hand never loses its last good copy.
 */
export function planManualRetention(backups: readonly RetentionBackup[], manualRetentionDays: number | undefined, now: Date): RetentionDecision[] {
  const protectedBy = protectedReasons(backups);
  const days = manualRetentionDays ?? 0;
  return newestFirst(backups).map((b) => {
    const guard = protectedBy.get(b.id) ?? [];
    const own = manualDecision(b, days, now);
    if (own.keep) return { id: b.id, keep: true, reasons: [...own.reasons, ...guard] };
    return guard.length > 0 ? { id: b.id, keep: true, reasons: guard } : { id: b.id, ...own };
  });
}

function manualDecision(b: RetentionBackup, days: number, now: Date): Omit<RetentionDecision, "id"> {
  if (!b.manual) return { keep: true, reasons: [SCHEDULED_BY_GFS] };
  if (!b.ok) return { keep: true, reasons: [FAILED_NOT_CANDIDATE] };
  if (days === 0) return { keep: true, reasons: [MANUAL_NO_LIMIT] };
  const young = now.getTime() - b.finishedAt.getTime() <= days * DAY_MS;
  return young ? { keep: true, reasons: [`manual: younger than ${days} days`] } : { keep: false, reasons: [`manual: older than ${days} days`] };
}
