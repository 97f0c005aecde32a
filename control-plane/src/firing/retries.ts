import { type BackupOptions, type ErrorBody } from "@holdfast/shared";
import { and, eq, gte, inArray } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { Schedule } from "../schedules/schedule-rows.js";
import { nextRetry } from "./retry-plan.js";
import { missedError, recordScheduledRun } from "./run-records.js";

/** RetrySettings' largest backoff (24 h): failures older than that plus grace can have no retry due. */
const MAX_BACKOFF_MS = 1440 * 60_000;

/**
 * Records the retries that fell due: for each scheduled run that ended `failed` with a retryable
 * error, a new run of the same firing with attempt + 1 and `retryOf`, once `backoffMinutes` passed
 * since it failed, up to `retry.attempts` extra runs. Derived from the runs table on every tick, not
 * kept in timers, so a restart (or another replica) finds the same retries; the attempt is in the
 * idempotency key, so none is recorded twice. No retry once a newer firing of the schedule was
 * handled (it backs up the same database), nor for a paused or deleted schedule. A retry that fell
 * due more than the grace window ago (the control plane was down) is recorded `missed`.
 * Returns how many runs were recorded.
 */
export async function recordDueRetries(ctx: Pick<AppContext, "database" | "clock" | "log">, now: Date, active: Map<string, Schedule>, graceMs: number): Promise<number> {
  const { db, t } = ctx.database;
  const failed = await db
    .select()
    .from(t.runs)
    .where(and(eq(t.runs.state, "failed"), eq(t.runs.trigger, "schedule"), gte(t.runs.finishedAt, now.getTime() - MAX_BACKOFF_MS - graceMs)));
  const due = failed.flatMap((run) => {
    const schedule = run.scheduleId ? active.get(run.scheduleId) : undefined;
    if (!schedule || run.fireTime === null || run.finishedAt === null || schedule.fireCursor > run.fireTime) return [];
    const error = run.error === null ? undefined : (JSON.parse(run.error) as ErrorBody);
    const at = nextRetry({ attempt: run.attempt, retry: schedule.retry, failedAt: new Date(run.finishedAt), retryable: error?.retryable === true });
    return at && at <= now ? [{ run, schedule, at }] : [];
  });
  if (due.length === 0) return 0;
  const retried = await db
    .select({ retryOf: t.runs.retryOf })
    .from(t.runs)
    .where(inArray(t.runs.retryOf, due.map((d) => d.run.id)));

  let created = 0;
  for (const { run, schedule, at } of due) {
    if (retried.some((r) => r.retryOf === run.id)) continue;
    const late = now.getTime() - at.getTime() > graceMs;
    const runId = await recordScheduledRun(ctx, {
      scheduleId: schedule.id,
      datasourceId: run.datasourceId,
      agentId: run.agentId,
      fireTime: new Date(run.fireTime!),
      attempt: run.attempt + 1,
      retryOf: run.id,
      // The same backup as the failed run asked for, even if the schedule's options changed since.
      options: run.options === null ? undefined : (JSON.parse(run.options) as BackupOptions),
      state: late ? "missed" : "pending",
      error: late ? missedError("late", "The retry fell due while the control plane was not running", { graceMs, dueAt: at.toISOString() }) : undefined,
    });
    if (runId) {
      created += 1;
      ctx.log.info({ runId, retryOf: run.id, attempt: run.attempt + 1, scheduleId: schedule.id, late }, "scheduled run retried");
    }
  }
  return created;
}
