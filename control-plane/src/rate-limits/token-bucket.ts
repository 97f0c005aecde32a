/**
 * A token bucket kept as one number: the time it is full again (GCRA's "theoretical arrival time").
 * Each request moves that time one interval (60 000 / perMinute ms) later, starting from now if it
 * had passed; a request that would push it more than `burst` intervals ahead is refused. The same
 * answers as a bucket of `burst` tokens refilled at `perMinute`, with no second column to keep in
 * step, and integer arithmetic only. Why here and not a library: docs/decisions.md ("Rate limits").
 */

export interface BucketLimit {
  /** Requests a full bucket lets through at once. */
  burst: number;
  /** Sustained requests per minute (the refill); 0 turns the limit off. */
  perMinute: number;
}

export type BucketDecision =
  | { allowed: true; /** The bucket's new full-again time, to store. */ fullAt: number }
  | { allowed: false; /** How long until one request fits again. */ retryAfterMs: number };

/** What a request at `now` gets from a bucket last full-again at `fullAt` (null: never used, so full). */
export function takeFromBucket(fullAt: number | null, now: number, limit: BucketLimit): BucketDecision {
  const intervalMs = 60_000 / limit.perMinute;
  const next = Math.max(fullAt ?? now, now) + intervalMs;
  const over = next - now - limit.burst * intervalMs;
  if (over > 0) return { allowed: false, retryAfterMs: Math.ceil(over) };
  return { allowed: true, fullAt: Math.ceil(next) };
}

/** Retry-After in whole seconds, never 0 (a client told 0 would retry at once and be refused again). */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
