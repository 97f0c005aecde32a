import { DEFAULT_RETRY, type RetrySettings } from "@holdfast/shared";

export interface RetryInput {
  /** The attempt that failed: 1 for the firing's own run. */
  attempt: number;
  retry?: RetrySettings | undefined;
  failedAt: Date;
  /** From the run's error (the catalog's `retryable`, or what the agent knew better). */
  retryable: boolean;
}

/**
 * When the next attempt of a firing should start, or null when there is none: the failure cannot
 * be helped by trying again, or `retry.attempts` extra runs are used. The spacing is fixed
 * (`backoffMinutes`), as the issue states it ("5 min apart"); a retry is a new run whose key
 * carries its attempt (firing-key.ts).
 */
export function nextRetry({ attempt, retry, failedAt, retryable }: RetryInput): Date | null {
  if (!retryable) return null;
  const extraAttempts = retry?.attempts ?? DEFAULT_RETRY.attempts;
  if (attempt > extraAttempts) return null;
  return new Date(failedAt.getTime() + (retry?.backoffMinutes ?? DEFAULT_RETRY.backoffMinutes) * 60_000);
}
