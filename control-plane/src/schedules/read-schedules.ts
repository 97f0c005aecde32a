import type { NextFiringsQuery } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { formatWithOffset, nextFirings } from "./cron.js";
import { findSchedule, listScheduleRecords, type ScheduleView, toView } from "./schedule-rows.js";

export async function listSchedules(ctx: DbContext): Promise<ScheduleView[]> {
  const now = ctx.clock.now();
  return (await listScheduleRecords(ctx)).map((s) => toView(s, now));
}

export async function getSchedule(ctx: DbContext, id: string): Promise<ScheduleView> {
  return toView(await findSchedule(ctx, id), ctx.clock.now());
}

/**
 * `GET /schedules/:id/next?count=5`: the next firings from now, each with the zone's offset at that
 * instant (`2026-03-29T03:00:00+02:00`), so a DST change shows as a changed offset. A paused
 * schedule has none.
 */
export async function nextScheduleFirings(ctx: DbContext, id: string, { count }: NextFiringsQuery): Promise<{ next: string[] }> {
  const schedule = await findSchedule(ctx, id);
  const from = new Date(Math.max(ctx.clock.now().getTime(), schedule.fireCursor));
  const times = nextFirings(schedule.cron, schedule.timezone, from, count);
  return { next: schedule.paused ? [] : times.map((d) => formatWithOffset(d, schedule.timezone)) };
}
