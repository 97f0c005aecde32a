import type { Clock } from "@holdfast/shared/protocol";

/** Calls `fn` at most once per `intervalMs` of the clock; in-between calls are dropped (the next one carries the newer value). */
export function throttle<A extends unknown[]>(clock: Clock, intervalMs: number, fn: (...args: A) => void): (...args: A) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (...args: A) => {
    const now = clock.now().getTime();
    if (now - last < intervalMs) return;
    last = now;
    fn(...args);
  };
}
