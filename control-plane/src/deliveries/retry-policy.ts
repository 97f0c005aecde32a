/** What a delivery does after a failed try; from the settings (README), shortened by tests. */
export interface DeliveryPolicy {
  /** Tries in all, the first included (HOLDFAST_DELIVERY_ATTEMPTS, default 8). */
  attempts: number;
  /** Wait after the first failure (HOLDFAST_DELIVERY_BACKOFF_MS, default 1 min); doubles each time. */
  backoffMs: number;
  /** A `running` delivery not touched for this long belongs to a process that died: it may be taken over. */
  leaseMs: number;
}

/** The longest wait between two tries, unless the base itself is longer. */
export const MAX_BACKOFF_MS = 3_600_000;

/**
 * The wait after the `attempt`-th failed try: base × 2^(attempt−1), capped at an hour. With the
 * defaults: 1, 2, 4, 8, 16, 32, 60 minutes, so a destination down for about two hours still gets
 * the artifact, which waits in the spool meanwhile.
 */
export function backoffAfter(attempt: number, baseMs: number): number {
  return Math.min(Math.max(baseMs, MAX_BACKOFF_MS), baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}
