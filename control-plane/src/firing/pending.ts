import { and, eq } from "drizzle-orm";
import type { Schedule } from "../schedules/schedule-rows.js";
import { blackoutSetsOf, describeBlackout } from "../blackout/firing-plan.js";
import { blackoutSpanAt } from "../blackout/windows.js";
import { type DispatchContext, dispatchRun } from "./dispatch.js";
import { closeUnsent, missedError, type RunRow } from "./run-records.js";

export interface SweepOptions {
  graceMs: number;
  /** Runs being sent by this process: neither sent twice nor closed under the send. */
  inFlight: Set<string>;
  /** Takes a send that goes on after the sweep returns (it waits for the agent's answer). */
  track(send: Promise<void>): void;
}

/**
 * When a pending run stops waiting: a firing `graceMs` after its fire time; a retry `graceMs` after
 * it was recorded, which is when it fell due (retries.ts), since its fire time is the firing's.
 */
export function pendingDeadline(run: Pick<RunRow, "attempt" | "fireTime" | "createdAt">, graceMs: number): number {
  return (run.attempt === 1 && run.fireTime !== null ? run.fireTime : run.createdAt) + graceMs;
}

/**
 * Looks at every scheduled run the agent has not taken yet (`pending`): sends the newest of each
 * schedule to its agent when online, and closes the rest. Older pending runs of the same schedule
 * are `missed` (superseded): one backup protects as much as several of the same database queued
 * back to back. A run past its deadline is `missed`; one whose schedule was paused or deleted since
 * is `cancelled`. Runs on the control plane's records only, so it is what a restart resumes.
 * A run waiting while a blackout window of its schedule or agent starts (its agent was offline, or
 * it is a retry) is not sent inside the window: it waits for the window's end within its deadline,
 * and past it is `missed` naming the window.
 */
export async function sweepPending(ctx: DispatchContext, now: Date, active: Map<string, Schedule>, opts: SweepOptions): Promise<void> {
  const { db, t } = ctx.database;
  const pending = await db
    .select()
    .from(t.runs)
    .where(and(eq(t.runs.state, "pending"), eq(t.runs.trigger, "schedule")));
  const bySchedule = new Map<string, RunRow[]>();
  for (const run of pending) {
    if (opts.inFlight.has(run.id) || run.scheduleId === null) continue;
    bySchedule.set(run.scheduleId, [...(bySchedule.get(run.scheduleId) ?? []), run]);
  }

  for (const [scheduleId, runs] of bySchedule) {
    const schedule = active.get(scheduleId);
    const ids = runs.map((r) => r.id);
    if (!schedule) {
      await closeUnsent(ctx, ids, "cancelled", { cancelReason: "schedule paused or deleted" });
      continue;
    }
    runs.sort((a, b) => (a.fireTime ?? 0) - (b.fireTime ?? 0) || a.attempt - b.attempt);
    const newest = runs.pop()!;
    const superseded = missedError("superseded", `A newer firing of the schedule (run ${newest.id}) replaced this one before it was sent`, { by: newest.id });
    await closeUnsent(
      ctx,
      runs.map((r) => r.id),
      "missed",
      { error: JSON.stringify(superseded) },
    );

    // Sent by the replica that holds the agent's link; the others leave it to that one.
    const online = ctx.link.holdsLink(newest.agentId);
    const sets = blackoutSetsOf(schedule);
    const blackout = sets.length > 0 ? blackoutSpanAt(sets, now.getTime()) : null;
    if (now.getTime() > pendingDeadline(newest, opts.graceMs)) {
      const window = blackout && describeBlackout(blackout.hit);
      const error = window
        ? missedError("blackout", `The run waited inside the ${window.text} until the grace window closed`, { graceMs: opts.graceMs, window })
        : online
          ? missedError("late", "The run was not accepted by its agent within the grace window", { graceMs: opts.graceMs })
          : missedError("agent-offline", "The agent was offline until the grace window closed", { graceMs: opts.graceMs, agentId: newest.agentId });
      if ((await closeUnsent(ctx, [newest.id], "missed", { error: JSON.stringify(error) })).length > 0) {
        ctx.log.warn({ runId: newest.id, scheduleId, agentId: newest.agentId, reason: error.details?.reason }, "scheduled run missed");
      }
      continue;
    }
    if (!online || blackout) continue;
    opts.inFlight.add(newest.id);
    opts.track(dispatchRun(ctx, newest, schedule).finally(() => opts.inFlight.delete(newest.id)));
  }
}
