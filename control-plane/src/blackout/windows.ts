import { type BlackoutWindow, WEEKDAYS } from "@holdfast/shared";
import { wallTimeOf } from "../schedules/cron.js";

/** The windows of one owner (a schedule, or the agent its datasource lives on), read in that owner's zone. */
export interface BlackoutSet {
  source: "schedule" | "agent";
  timezone: string;
  windows: readonly BlackoutWindow[];
}

/** One occurrence of a window: which, whose, and the instants (epoch ms) it holds, [startsAt, endsAt). */
export interface BlackoutHit {
  source: BlackoutSet["source"];
  timezone: string;
  window: BlackoutWindow;
  startsAt: number;
  endsAt: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Windows chained end to start are followed this far at most; beyond, they leave no time to run. */
const MAX_CHAIN_MS = 8 * DAY;

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The zone's offset from UTC at the instant, in ms (wall clock read as UTC, minus the instant). */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallTimeOf(new Date(instant), timeZone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(instant / 1000) * 1000;
}

/** The local calendar day (days since 1970-01-01 on the zone's wall clock) the instant falls on. */
function localDayOf(instant: number, timeZone: string): number {
  const w = wallTimeOf(new Date(instant), timeZone);
  return Math.floor(Date.UTC(w.y, w.mo - 1, w.d) / DAY);
}

/** Monday 0 … Sunday 6 of a local day number (1970-01-01 was a Thursday). */
const weekdayOf = (localDay: number) => (((localDay + 3) % 7) + 7) % 7;

/**
 * The instant a wall clock in the zone shows `minutes` past midnight of `localDay`. DST, as the
 * firing loop's croner reads a cron (schedules/cron.ts): a time a spring-forward skips is the first
 * instant after the gap (02:30 in Berlin on the last Sunday of March is 03:00 CEST); a time a
 * fall-back repeats is its first occurrence. So a window 02:00-03:00 on the autumn day holds two
 * hours, both passes of 02:xx, and one inside a spring gap holds nothing.
 */
export function instantOfWallTime(localDay: number, minutes: number, timeZone: string): number {
  const asUtc = localDay * DAY + minutes * MINUTE;
  const before = offsetAt(asUtc - DAY / 2, timeZone);
  const after = offsetAt(asUtc + DAY / 2, timeZone);
  const valid = [asUtc - before, asUtc - after].filter((i) => offsetAt(i, timeZone) === asUtc - i);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap: the transition, the first minute whose offset is the later one.
  let lo = asUtc - after; // still the earlier offset
  let hi = asUtc - before; // already the later one
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (offsetAt(mid, timeZone) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The occurrence of the window that starts on `localDay`, or null when the window does not start that weekday. */
function occurrence(set: BlackoutSet, window: BlackoutWindow, localDay: number): BlackoutHit | null {
  if (!window.days.includes(WEEKDAYS[weekdayOf(localDay)]!)) return null;
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const startsAt = instantOfWallTime(localDay, from, set.timezone);
  const endsAt = instantOfWallTime(to > from ? localDay : localDay + 1, to, set.timezone);
  return { source: set.source, timezone: set.timezone, window, startsAt, endsAt };
}

/**
 * The window holding the instant, of any set, or null. A window lasts less than a day, so only the
 * occurrences starting on the instant's local day and the day before can hold it. Of several, the
 * one ending last.
 */
export function blackoutAt(sets: readonly BlackoutSet[], at: number): BlackoutHit | null {
  let found: BlackoutHit | null = null;
  for (const set of sets) {
    const today = localDayOf(at, set.timezone);
    for (const day of [today - 1, today]) {
      for (const window of set.windows) {
        const hit = occurrence(set, window, day);
        if (hit && hit.startsAt <= at && at < hit.endsAt && (!found || hit.endsAt > found.endsAt)) found = hit;
      }
    }
  }
  return found;
}

/** When the blackout holding `at` is over: the window it is in, and the first instant no window holds. */
export interface BlackoutSpan {
  hit: BlackoutHit;
  /** The first instant at or after `at` outside every window (windows overlapping or end to start are one span); null: none within 8 days. */
  clearAt: number | null;
}

/** The blackout span holding `at`, or null when no window holds it. Windows compose as a union. */
export function blackoutSpanAt(sets: readonly BlackoutSet[], at: number): BlackoutSpan | null {
  const hit = blackoutAt(sets, at);
  if (!hit) return null;
  let t = hit.endsAt;
  for (let next = blackoutAt(sets, t); next; next = blackoutAt(sets, t)) {
    t = next.endsAt;
    if (t - at > MAX_CHAIN_MS) return { hit, clearAt: null };
  }
  return { hit, clearAt: t };
}
