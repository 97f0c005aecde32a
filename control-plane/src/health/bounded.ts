import type { Clock } from "@holdfast/shared";

/** Settles as `work` does, or resolves `"timeout"` after `ms` on the clock, whichever comes first. */
export async function withinBound<T>(clock: Clock, ms: number, work: Promise<T>): Promise<T | "timeout"> {
  let cancel = () => {};
  const timedOut = new Promise<"timeout">((resolve) => {
    cancel = clock.setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    cancel();
  }
}
