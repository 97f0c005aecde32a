/**
 * The one source of time. Timers and durations (JWT lifetime, TTLs, backoff, heartbeats) take a clock
 * so tests can move time instead of waiting for it.
 */
export interface Clock {
  now(): Date;
  /** Like setTimeout; returns a function that cancels the timer. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => new Date(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  },
};

/** Resolves after `ms` on the given clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
