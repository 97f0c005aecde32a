import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { describeBlackout, firingPlannerOf } from "../blackout/firing-plan.js";
import { runOptionsOf, type Schedule } from "../schedules/schedule-rows.js";
import { dueFirings } from "./misfire.js";
import { missedError, recordScheduledRun } from "./run-records.js";

type FireContext = Pick<AppContext, "database" | "clock" | "log">;

/**
 * Records the schedule's firings since its cursor (`fireCursor`): the newest still within grace as a
 * `pending` run (sent by the sweep, pending.ts), every older one as `missed`. The runs are written
 * first and the cursor moves after, with one conditional UPDATE that also sets `lastFiredAt` to the
 * firing recorded to run: a crash between the two only makes the next tick compute the same firings
 * again, whose inserts then find their rows (the idempotency key is unique), so a firing is neither
 * lost nor doubled. Of two replicas, both inserts but one find the row, and only one moves the cursor.
 * A firing inside a blackout window runs at the window's end, as a run whose fire time (and so its
 * idempotency key) is that end: firings deferred to one end, a restart or another replica record
 * it once. A `skip` schedule's firing inside a window is recorded `missed`, naming the window.
 * Returns how many runs this call created.
 */
export async function fireDue(ctx: FireContext, schedule: Schedule, now: Date, graceMs: number): Promise<number> {
  const plan = firingPlannerOf(schedule);
  const { due, missed, moreMissed, skipped, cursor } = dueFirings(schedule.cron, schedule.timezone, new Date(schedule.fireCursor), now, graceMs, plan);
  if (!cursor) return 0;
  const log = ctx.log.child({ scheduleId: schedule.id, datasourceId: schedule.datasourceId });
  const base = { scheduleId: schedule.id, datasourceId: schedule.datasourceId, agentId: schedule.agentId, attempt: 1, options: runOptionsOf(schedule) };
  let created = 0;

  for (const [i, fireTime] of missed.entries()) {
    const earlier = i === 0 && moreMissed ? { earlierMissed: true } : {};
    const error = missedError("late", "The firing was not sent within the grace window: the control plane was not running or was behind", {
      graceMs,
      ...earlier,
    });
    if (await recordScheduledRun(ctx, { ...base, fireTime, state: "missed", error })) created += 1;
  }
  for (const p of skipped) {
    const window = describeBlackout(p.blackout!);
    const message =
      p.skipReason === "no-clear-time"
        ? `The firing fell inside the ${window.text}, and the blackout windows leave no time to run within 8 days`
        : `The firing fell inside the ${window.text}; the schedule skips such firings (blackoutMisfire: skip)`;
    const error = missedError("blackout", message, { window, endsAt: new Date(p.blackout!.endsAt).toISOString() });
    if (await recordScheduledRun(ctx, { ...base, fireTime: new Date(p.cronTime), state: "missed", error })) {
      created += 1;
      log.info({ fireTime: new Date(p.cronTime).toISOString(), window: window.text }, "schedule firing skipped in a blackout window");
    }
  }
  if (missed.length > 0) log.warn({ missed: missed.length, moreMissed, oldest: missed[0]!.toISOString() }, "schedule firings missed");
  if (due) {
    const runId = await recordScheduledRun(ctx, { ...base, fireTime: due, state: "pending" });
    if (runId) {
      created += 1;
      log.info({ runId, fireTime: due.toISOString() }, "schedule fired");
    }
  }

  const { db, t } = ctx.database;
  await db
    .update(t.schedules)
    .set({ fireCursor: cursor.getTime(), ...(due ? { lastFiredAt: due.getTime() } : {}) })
    .where(and(eq(t.schedules.id, schedule.id), eq(t.schedules.fireCursor, schedule.fireCursor), isNull(t.schedules.deletedAt)));
  return created;
}
