/**
 * Exponential backoff with full jitter (AWS architecture blog): a delay drawn uniformly from
 * [0, min(cap, base·2^attempt)), so a fleet of agents reconnecting after an outage spreads out.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
