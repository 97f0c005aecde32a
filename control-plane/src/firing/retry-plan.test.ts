import { describe, expect, it } from "vitest";
import { nextRetry } from "./retry-plan.js";

const failedAt = new Date("2026-05-01T03:00:00Z");
const at = (iso: string) => new Date(iso);

describe("nextRetry", () => {
  it("by default retries twice, five minutes after each failure", () => {
    expect(nextRetry({ attempt: 1, failedAt, retryable: true })).toEqual(at("2026-05-01T03:05:00Z"));
    expect(nextRetry({ attempt: 2, failedAt, retryable: true })).toEqual(at("2026-05-01T03:05:00Z"));
    expect(nextRetry({ attempt: 3, failedAt, retryable: true })).toBeNull();
  });

  it("follows the schedule's attempts and backoff", () => {
    const retry = { attempts: 1, backoffMinutes: 90 };
    expect(nextRetry({ attempt: 1, retry, failedAt, retryable: true })).toEqual(at("2026-05-01T04:30:00Z"));
    expect(nextRetry({ attempt: 2, retry, failedAt, retryable: true })).toBeNull();
  });

  it("fills only the field the schedule leaves out", () => {
    expect(nextRetry({ attempt: 3, retry: { attempts: 5 }, failedAt, retryable: true })).toEqual(at("2026-05-01T03:05:00Z"));
    expect(nextRetry({ attempt: 3, retry: { backoffMinutes: 1 }, failedAt, retryable: true })).toBeNull();
  });

  it("never retries with attempts 0 or a failure that is not retryable", () => {
    expect(nextRetry({ attempt: 1, retry: { attempts: 0 }, failedAt, retryable: true })).toBeNull();
    expect(nextRetry({ attempt: 1, failedAt, retryable: false })).toBeNull();
  });
});
