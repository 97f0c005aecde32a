import { heldReason } from "./held.js";
import { newestFirst, type RetentionBackup } from "./types.js";

export const NEWEST_SUCCESSFUL = "newest successful";
export const NEWEST_VERIFIED = "newest verified";

/**
 * The backups no plan may delete, whatever the policy says: the newest successful one, where a
 * drill ever verified one, the newest verified one, and every held one (held.ts). Computed over
 * every backup the plan is given, manual or scheduled, so both planners protect the same ones.
 */
export function protectedReasons(backups: readonly RetentionBackup[]): Map<string, string[]> {
  const good = newestFirst(backups.filter((b) => b.ok));
  const reasons = new Map<string, string[]>();
  const add = (b: RetentionBackup | undefined, reason: string) => {
    if (b) reasons.set(b.id, [...(reasons.get(b.id) ?? []), reason]);
  };
  add(good[0], NEWEST_SUCCESSFUL);
  add(good.find((b) => b.verified === true), NEWEST_VERIFIED);
  for (const b of backups) {
    const held = heldReason(b);
    if (held) add(b, held);
  }
  return reasons;
}
