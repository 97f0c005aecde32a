/**
 * Lets the event loop turn: requests, I/O callbacks and timers waiting behind the caller run first.
 * The background passes (retention, the RPO watch, health, the scrub) read the catalogue through
 * SQLite's synchronous driver, where an `await` on a query settles in the same turn: a pass over
 * 2,000 schedules or datasources held every request for seconds. They work in batches instead and
 * yield between them. setImmediate, not the context's clock: this is a turn of the loop, not time.
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Calls `work` on `items`, `size` at a time and in order, letting the event loop turn before each batch after the first. */
export async function forEachBatch<T>(items: readonly T[], size: number, work: (batch: T[]) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    if (i > 0) await yieldToLoop();
    await work(items.slice(i, i + size));
  }
}
