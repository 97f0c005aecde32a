import { HoldfastError } from "@holdfast/shared";

/**
 * The idempotency key of one attempt of one firing: `sched:<scheduleId>:<fire time, UTC ISO>:<attempt>`.
 * Derived only from what every replica and every restart computes alike (the schedule, the time
 * croner gives for the firing, the attempt), so the agent's idempotency window turns a second
 * dispatch of the same firing into the first one's answer instead of a second backup.
 * `attempt` is 1 for the firing's own run, 2.. for its retries (retry-plan.ts). The id is
 * URI-encoded, so no id can contain the separator and two different firings never share a key.
 */
export function firingIdempotencyKey(scheduleId: string, fireTime: Date, attempt: number): string {
  // A fire time with milliseconds is a clock reading, not a cron time: two replicas would differ.
  if (Number.isNaN(fireTime.getTime()) || fireTime.getTime() % 1000 !== 0) {
    throw new HoldfastError("INTERNAL_ERROR", "A firing key needs the firing's scheduled time (whole seconds), not a clock reading");
  }
  if (!Number.isInteger(attempt) || attempt < 1) throw new HoldfastError("INTERNAL_ERROR", `Attempt ${attempt} is not 1, 2, ...`);
  return `sched:${encodeURIComponent(scheduleId)}:${fireTime.toISOString()}:${attempt}`;
}
