import type { NextFiringsQuery } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { formatWithOffset } from "./cron.js";
import { findSchedule, listScheduleRecords, type ScheduleView, toView, upcomingRuns } from "./schedule-rows.js";

export async function listSchedules(ctx: DbContext): Promise<ScheduleView[]> {
  const now = ctx.clock.now();
  return (await listScheduleRecords(ctx)).map((s) => toView(s, now));
}

export async function getSchedule(ctx: DbContext, id: string): Promise<ScheduleView> {
  return toView(await findSchedule(ctx, id), ctx.clock.now());
}

/**
 * `GET /schedules/:id/next?count=5`: the next firings from now, each with the zone's offset at that
 * instant (`2026-03-29T03:00:00+02:00`), so a DST change shows as a changed offset. These are the
 * times it runs: a firing inside a blackout window shows at the window's end (defer) or not at all
 * (skip). A paused schedule has none.
 */
export async function nextScheduleFirings(ctx: DbContext, id: string, { count }: NextFiringsQuery): Promise<{ next: string[] }> {
  const schedule = await findSchedule(ctx, id);
  const times = schedule.paused ? [] : upcomingRuns(schedule, ctx.clock.now(), count);
  return { next: times.map((d) => formatWithOffset(d, schedule.timezone)) };
}
