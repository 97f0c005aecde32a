import { HoldfastError } from "@holdfast/shared";

/**
 * Whether retention may delete a copy its policy no longer keeps: now, not before a date (S3 Object
 * Lock), or not at all with these credentials. Pure, so the executor, a preview or another check
 * ("held") can each ask it without touching a destination.
 */
export type Deletable =
  | { verdict: "delete" }
  /** `until` null: an S3 legal hold on the object, which has no date. */
  | { verdict: "locked"; until: Date | null; note: string }
  | { verdict: "cannot-delete"; note: string };

/** A copy that stays, and the note its delivery records. */
export type Kept = Exclude<Deletable, { verdict: "delete" }>;

export const CANNOT_DELETE_NOTE = "kept: the credentials cannot delete";
export const lockedNote = (until: Date) => `locked until ${until.toISOString()}`;

const locked = (until: Date): Kept => ({ verdict: "locked", until, note: lockedNote(until) });
const cannotDelete: Kept = { verdict: "cannot-delete", note: CANNOT_DELETE_NOTE };

/**
 * Before any request: a copy written under Object Lock is never tried before its retain-until date
 * (a delete would be refused, or on a versioned bucket only hide it behind a delete marker); a
 * destination known to refuse deletes is not asked. The executor knows it from a refusal earlier in
 * its pass (it asks once each pass, so new rights are noticed); the preview from the destination's
 * recorded refusal (`deleteDeniedAt`), which is what the next pass will most likely meet.
 */
export function deletableNow(copy: { lockedUntil: number | null }, destination: { refusesDeletes: boolean }, now: Date): Deletable {
  if (copy.lockedUntil !== null && copy.lockedUntil > now.getTime()) return locked(new Date(copy.lockedUntil));
  if (destination.refusesDeletes) return cannotDelete;
  return { verdict: "delete" };
}

/**
 * After a delete was refused: what the destination's answer says, or null for a failure that is
 * one (down, timed out...), reported and tried again next pass. A lock the server still holds (a
 * bucket's default retention past ours, a clock behind S3's) is kept until the date it gave.
 */
export function deletableAfter(err: unknown): Kept | null {
  if (!(err instanceof HoldfastError)) return null;
  if (err.code === "DESTINATION_DELETE_DENIED") return cannotDelete;
  if (err.code === "DESTINATION_OBJECT_LOCKED") {
    const until = typeof err.details?.lockedUntil === "string" ? new Date(err.details.lockedUntil) : null;
    if (until && !Number.isNaN(until.getTime())) return locked(until);
    return { verdict: "locked", until: null, note: "locked: an S3 legal hold holds it" };
  }
  return null;
}
