import { HoldfastError } from "@holdfast/shared";
import { Cron } from "croner";

/** Most `count` GET /schedules/:id/next answers; more is a scan, not a preview. */
export const MAX_NEXT_FIRINGS = 100;

const NICKNAMES = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"]);

/** A VALIDATION_FAILED shaped like parseOrThrow's, so clients read one `details.issues` format. */
export function invalidField(field: string, message: string): HoldfastError {
  return new HoldfastError("VALIDATION_FAILED", `Invalid ${field}: ${message}`, { issues: [{ path: field, message }] });
}

/**
 * An IANA zone name, as Intl knows it. Not `Intl.supportedValuesOf("timeZone")`: it lists canonical
 * names only, so it refuses `UTC` and links such as `Asia/Calcutta`. UTC offsets (`+02:00`), which
 * newer engines accept, are refused: a fixed offset ignores DST, which is what naming a zone is for.
 */
export function assertTimeZone(timeZone: string): void {
  const refuse = () => invalidField("timezone", `"${timeZone}" is not an IANA time zone such as Europe/Berlin or UTC`);
  if (!/^[A-Za-z]/.test(timeZone)) throw refuse();
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw refuse();
  }
}

/**
 * A schedule's cron as a croner job that never runs by itself (paused): only asked for times.
 * Five fields, or six with seconds first: seconds are accepted so the end-to-end suites see
 * schedules fire within seconds (docs/architecture.md, "Conventions"). croner would also take an ISO date (a
 * one-off job) or seven fields (years); neither is a schedule, so both are refused.
 * DST, as croner does it: a time that a spring-forward skips runs once, at the first valid time
 * after the gap (02:30 daily in Berlin runs at 03:00 CEST on that day); a time that a fall-back
 * repeats runs once, at its first occurrence. Jobs with wildcards or steps in the time fields
 * (`*\/30 * * * *`) skip the missing times and run on both repeated ones.
 */
export function compileCron(cron: string, timeZone: string): Cron {
  assertTimeZone(timeZone);
  const pattern = cron.trim();
  const fields = pattern.split(/\s+/).length;
  if (!NICKNAMES.has(pattern.toLowerCase()) && (fields < 5 || fields > 6)) {
    throw invalidField("cron", `"${pattern}" has ${fields} fields; expected 5 (minute hour day month weekday) or 6 (seconds first)`);
  }
  let job: Cron;
  try {
    job = new Cron(pattern, { timezone: timeZone, paused: true, mode: "5-or-6-parts" });
  } catch (err) {
    throw invalidField("cron", (err as Error).message);
  }
  if (job.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) throw invalidField("cron", `"${pattern}" never fires (a day that no month has?)`);
  return job;
}

/** The next `count` firings strictly after `from`. */
export function nextFirings(cron: string, timeZone: string, from: Date, count: number): Date[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_NEXT_FIRINGS) throw invalidField("count", `must be an integer from 1 to ${MAX_NEXT_FIRINGS}`);
  return compileCron(cron, timeZone).nextRuns(count, from);
}

/** The first firing strictly after `from`, or null if the cron has no more. */
export function nextFiring(cron: string, timeZone: string, from: Date): Date | null {
  return compileCron(cron, timeZone).nextRun(from);
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

function wallClockOf(timeZone: string): Intl.DateTimeFormat {
  let f = wallClocks.get(timeZone);
  if (!f) {
    const two = "2-digit" as const;
    f = new Intl.DateTimeFormat("en-US", { timeZone, calendar: "gregory", hourCycle: "h23", year: "numeric", month: two, day: two, hour: two, minute: two, second: two });
    wallClocks.set(timeZone, f);
  }
  return f;
}

/** What a wall clock in the zone shows at that instant (month 1-12), to the second. */
export function wallTimeOf(date: Date, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts = Object.fromEntries(wallClockOf(timeZone).formatToParts(date).map((p) => [p.type, p.value]));
  const [y, mo, d, h, mi, s] = [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second].map(Number) as [number, number, number, number, number, number];
  return { y, mo, d, h, mi, s };
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, "0");

/**
 * ISO 8601 with the zone's offset at that instant, `2026-03-29T03:00:00+02:00`: what the
 * operator's wall clock shows, and still one exact instant. The offset is the wall time read as
 * UTC minus the instant; milliseconds appear only when there are some.
 */
export function formatWithOffset(date: Date, timeZone: string): string {
  const { y, mo, d, h, mi, s } = wallTimeOf(date, timeZone);
  const ms = date.getTime() - Math.floor(date.getTime() / 1000) * 1000;
  const offsetMinutes = Math.round((Date.UTC(y, mo - 1, d, h, mi, s) - (date.getTime() - ms)) / 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const offset = `${sign}${pad(Math.trunc(offsetMinutes / 60))}:${pad(offsetMinutes % 60)}`;
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${ms ? `.${pad(ms, 3)}` : ""}${offset}`;
}
