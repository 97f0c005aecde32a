import type { BlackoutWindow } from "@holdfast/shared";
import { firingPlannerOf } from "../blackout/firing-plan.js";
import { skipPast } from "../blackout/next-runs.js";
import type { Tables } from "../db/index.js";
import { firingsAfter } from "./firing-series.js";

/** An active (not paused) schedule of a datasource, as freshness reads it, with its blackout windows and its agent's (JSON, as stored). */
export interface ActiveSchedule {
  cron: string;
  timezone: string;
  createdAt: number;
  blackout?: string | null;
  blackoutMisfire?: string;
  agentBlackout?: string | null;
  agentTimezone?: string;
}

/** The columns ActiveSchedule reads, from schedules joined to datasources and agents. */
export function activeScheduleColumns(t: Pick<Tables, "schedules" | "agents">) {
  return {
    cron: t.schedules.cron,
    timezone: t.schedules.timezone,
    createdAt: t.schedules.createdAt,
    blackout: t.schedules.blackout,
    blackoutMisfire: t.schedules.blackoutMisfire,
    agentBlackout: t.agents.blackout,
    agentTimezone: t.agents.timezone,
  };
}

/** Walked at most for one answer when windows defer or skip firings (a minutely cron across an 8-hour window: 480). */
const MAX_PLANNED_WALK = 2_000;

const windowsOf = (json: string | null | undefined): BlackoutWindow[] => (json ? (JSON.parse(json) as BlackoutWindow[]) : []);

/** The first two times the schedule runs after `from`: its firings, moved or dropped by blackout windows. */
function runsAfter(s: ActiveSchedule, from: number): number[] | null {
  const plan = firingPlannerOf({
    timezone: s.timezone,
    blackout: windowsOf(s.blackout),
    blackoutMisfire: s.blackoutMisfire === "skip" ? "skip" : "defer",
    agentTimezone: s.agentTimezone ?? "UTC",
    agentBlackout: windowsOf(s.agentBlackout),
  });
  if (!plan) return firingsAfter(s.cron, s.timezone, from, 2);
  const runs: number[] = [];
  let cursor = from;
  for (let i = 0; i < MAX_PLANNED_WALK && runs.length < 2; i++) {
    const [firing] = firingsAfter(s.cron, s.timezone, cursor, 1) ?? [];
    if (firing === undefined) break;
    const planned = plan(firing);
    if (planned.runAt !== null && planned.runAt !== runs.at(-1)) runs.push(planned.runAt);
    cursor = Math.max(firing, skipPast(planned));
  }
  return runs;
}

export interface Freshness {
  /** The first firing of an active schedule after the last good backup was asked for; null without an active schedule. */
  dueAt: number | null;
  /** True once that firing is past by more than the grace and no newer good backup exists. */
  overdue: boolean;
}

/**
 * Whether a datasource's last good backup is older than its schedules imply. A backup was due at the
 * first firing after the last good one was asked for (its fire time, or when it was created); a
 * schedule created later counts from its creation. The grace is the run's longest allowed duration
 * or the gap to the firing after, whichever is shorter: a daily backup that may take 6 h turns
 * overdue 6 h after the firing it missed, an hourly one when the next hour comes. Firings are read
 * after blackout windows: one deferred is due at its window's end, one skipped is not due at all.
 */
export function backupFreshness(lastGoodAskedAt: number | null, schedules: readonly ActiveSchedule[], maxDurationMs: number, now: number): Freshness {
  let dueAt: number | null = null;
  let overdueAt: number | null = null;
  for (const s of schedules) {
    const [due, after] = runsAfter(s, Math.max(lastGoodAskedAt ?? -Infinity, s.createdAt)) ?? [];
    if (due === undefined) continue;
    const grace = Math.min(maxDurationMs, after !== undefined ? after - due : maxDurationMs);
    if (dueAt === null || due < dueAt) dueAt = due;
    const late = due + grace;
    if (overdueAt === null || late < overdueAt) overdueAt = late;
  }
  return { dueAt, overdue: overdueAt !== null && now > overdueAt };
}
