import { type BlackoutMisfire, type BlackoutWindow, DEFAULT_BLACKOUT_MISFIRE, formatBlackoutWindow } from "@holdfast/shared";
import { type BlackoutHit, type BlackoutSet, blackoutSpanAt } from "./windows.js";

/** What decides a schedule's blackouts: its windows in its zone, its agent's in the agent's zone, and its misfire choice. */
export interface BlackoutSubject {
  timezone: string;
  blackout: readonly BlackoutWindow[];
  blackoutMisfire: BlackoutMisfire;
  agentTimezone: string;
  agentBlackout: readonly BlackoutWindow[];
}

/** The sets of windows that apply to a schedule's firings (and to a "Run now" of it). */
export function blackoutSetsOf(s: BlackoutSubject): BlackoutSet[] {
  const sets: BlackoutSet[] = [];
  if (s.blackout.length > 0) sets.push({ source: "schedule", timezone: s.timezone, windows: s.blackout });
  if (s.agentBlackout.length > 0) sets.push({ source: "agent", timezone: s.agentTimezone, windows: s.agentBlackout });
  return sets;
}

/** One cron firing after the blackouts: when it runs (`runAt`, null: skipped) and the window that moved or skipped it. */
export interface PlannedFiring {
  cronTime: number;
  runAt: number | null;
  blackout: BlackoutHit | null;
  /** Why a firing with `runAt` null does not run. */
  skipReason?: "skip" | "no-clear-time";
}

/**
 * Where a firing at `cronTime` runs. Outside every window: at its time. Inside one: at the end of the
 * blackout (`defer`, windows end to start or overlapping count as one), or not at all (`skip`, and
 * when the windows leave no time within 8 days). The deferred time is a whole minute of a wall clock,
 * so it serves as a firing key's time (firing-key.ts) that every replica computes alike.
 */
export function planFiring(sets: readonly BlackoutSet[], misfire: BlackoutMisfire, cronTime: number): PlannedFiring {
  const span = sets.length > 0 ? blackoutSpanAt(sets, cronTime) : null;
  if (!span) return { cronTime, runAt: cronTime, blackout: null };
  if (span.clearAt === null) return { cronTime, runAt: null, blackout: span.hit, skipReason: "no-clear-time" };
  if (misfire === "skip") return { cronTime, runAt: null, blackout: span.hit, skipReason: "skip" };
  return { cronTime, runAt: span.clearAt, blackout: span.hit };
}

/** A planner for one schedule, or undefined when no window applies (the firing loop's fast path). */
export function firingPlannerOf(s: BlackoutSubject): ((cronTime: number) => PlannedFiring) | undefined {
  const sets = blackoutSetsOf(s);
  if (sets.length === 0) return undefined;
  const misfire = s.blackoutMisfire ?? DEFAULT_BLACKOUT_MISFIRE;
  return (cronTime) => planFiring(sets, misfire, cronTime);
}

/** A window as details and messages name it: whose, which, in what zone. */
export function describeBlackout(hit: BlackoutHit): { source: string; days: string[]; from: string; to: string; timezone: string; text: string } {
  const text = `${hit.source} window ${formatBlackoutWindow(hit.window)} (${hit.timezone})`;
  return { source: hit.source, days: [...hit.window.days], from: hit.window.from, to: hit.window.to, timezone: hit.timezone, text };
}
