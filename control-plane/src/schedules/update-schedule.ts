import { assertOptionsFitDatasource, HoldfastError, type UpdateScheduleBody } from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { Tables } from "../db/index.js";
import { getDatasource } from "../datasources/get-datasource.js";
import { compileCron } from "./cron.js";
import { dropPendingRuns } from "../firing/run-records.js";
import { assertDestinationsExist } from "./check-targets.js";
import { splitVerify } from "./create-schedule.js";
import { findSchedule, type ScheduleView, toView } from "./schedule-rows.js";

type ScheduleContext = Pick<AppContext, "database" | "clock" | "log">;

/**
 * `PATCH /schedules/:id`, and pause/resume. A field left out keeps its value. A new cron or zone,
 * and a resume, restart the count from now: the firings the old cron or the pause skipped are not
 * made up (nor recorded missed). Pausing drops the schedule's firings still waiting for their agent.
 */
export async function updateSchedule(ctx: ScheduleContext, id: string, body: UpdateScheduleBody): Promise<ScheduleView> {
  const current = await findSchedule(ctx, id);
  const cron = body.cron ?? current.cron;
  const timezone = body.timezone ?? current.timezone;
  compileCron(cron, timezone);
  const split = splitVerify(body.options, body.verify);
  if (body.options !== undefined || split.verify !== undefined) {
    const datasource = await getDatasource(ctx, current.datasourceId);
    const options = body.options !== undefined ? split.options : current.options;
    const verify = split.verify ?? current.verify;
    assertOptionsFitDatasource(datasource.engine, datasource.connection, verify ? { ...options, verify } : options);
  }
  // A deleted datasource's schedules stay paused: DATASOURCE_NOT_FOUND says it was deleted.
  if (body.paused === false && current.paused) await getDatasource(ctx, current.datasourceId);
  if (body.destinationIds) await assertDestinationsExist(ctx, body.destinationIds);

  const now = ctx.clock.now().getTime();
  const restart = cron !== current.cron || timezone !== current.timezone || (current.paused && body.paused === false);
  const set: Partial<Tables["schedules"]["$inferInsert"]> = { updatedAt: now };
  if (body.name !== undefined) set.name = body.name;
  if (body.cron !== undefined) set.cron = body.cron;
  if (body.timezone !== undefined) set.timezone = body.timezone;
  if (body.destinationIds !== undefined) set.destinationIds = JSON.stringify([...new Set(body.destinationIds)]);
  if (body.options !== undefined) set.options = split.options ? JSON.stringify(split.options) : null;
  if (split.verify !== undefined) set.verify = split.verify;
  if (body.retention !== undefined) set.retention = JSON.stringify(body.retention);
  if (body.retry !== undefined) set.retry = JSON.stringify(body.retry);
  if (body.paused !== undefined) set.paused = body.paused;
  // New windows move no cursor: the next pass plans the firings since it with them.
  if (body.blackout !== undefined) set.blackout = body.blackout.length > 0 ? JSON.stringify(body.blackout) : null;
  if (body.blackoutMisfire !== undefined) set.blackoutMisfire = body.blackoutMisfire;
  if (restart) set.fireCursor = Math.max(now, current.fireCursor);

  const { db, t } = ctx.database;
  const [row] = await db
    .update(t.schedules)
    .set(set)
    .where(and(eq(t.schedules.id, id), isNull(t.schedules.deletedAt)))
    .returning();
  if (!row) throw new HoldfastError("SCHEDULE_NOT_FOUND", `No schedule ${id}`, { scheduleId: id });
  if (body.paused === true && !current.paused) await dropPendingRuns(ctx, id, "schedule paused");
  return toView(await findSchedule(ctx, id), ctx.clock.now());
}

/** Soft delete: past runs keep their `scheduleId`; firings still waiting for their agent are dropped. */
export async function deleteSchedule(ctx: ScheduleContext, id: string): Promise<void> {
  const { db, t } = ctx.database;
  const gone = await db
    .update(t.schedules)
    .set({ deletedAt: ctx.clock.now().getTime() })
    .where(and(eq(t.schedules.id, id), isNull(t.schedules.deletedAt)))
    .returning({ id: t.schedules.id });
  if (gone.length === 0) throw new HoldfastError("SCHEDULE_NOT_FOUND", `No schedule ${id}`, { scheduleId: id });
  await dropPendingRuns(ctx, id, "schedule deleted");
}
