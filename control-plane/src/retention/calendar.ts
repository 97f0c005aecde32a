const DAY_MS = 86_400_000;

/** The buckets a backup falls in, on the wall calendar of a time zone. */
export interface CalendarKeys {
  /** `2026-03-29` */
  day: string;
  /** `2026-W13`: ISO 8601 week of the ISO week-year, which may differ from the calendar year. */
  week: string;
  /** `2026-03` */
  month: string;
  /** `2026` */
  year: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, calendar: "gregory", numberingSystem: "latn", year: "numeric", month: "numeric", day: "numeric" });
    formatters.set(timeZone, f);
  }
  return f;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** Keys told before, by zone and instant: retention plans the same backups on every pass and preview. */
const told = new Map<string, CalendarKeys>();
/** Kept at most (a few MiB); dropped whole past it. */
const TOLD_MAX = 20_000;

/**
 * Intl holds the zone rules (DST, historical offsets) the platform's tzdata knows, so no date
 * library is needed: only the local date is read from it, the week arithmetic is on plain dates.
 * `format` and a split, not `formatToParts` (under half the time; five years of daily backups are
 * 1,825 calls per plan), with formatToParts where the text is not the expected `M/D/YYYY`.
 */
export function calendarKeys(at: Date, timeZone: string): CalendarKeys {
  const key = `${timeZone}\u0000${at.getTime()}`;
  const known = told.get(key);
  if (known) return known;
  const [month, day, year] = localDate(at, timeZone);
  const { isoYear, isoWeek } = isoWeekOf(year, month, day);
  const keys = {
    day: `${pad(year, 4)}-${pad(month)}-${pad(day)}`,
    week: `${pad(isoYear, 4)}-W${pad(isoWeek)}`,
    month: `${pad(year, 4)}-${pad(month)}`,
    year: pad(year, 4),
  };
  if (told.size >= TOLD_MAX) told.clear();
  told.set(key, keys);
  return keys;
}

/** [month, day, year] on the wall calendar of `timeZone`. */
function localDate(at: Date, timeZone: string): [number, number, number] {
  const f = formatterFor(timeZone);
  const text = /^(\d{1,2})\/(\d{1,2})\/(\d{4,})$/.exec(f.format(at));
  if (text) return [Number(text[1]), Number(text[2]), Number(text[3])];
  const parts = f.formatToParts(at);
  const num = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return [num("month"), num("day"), num("year")];
}

/** ISO 8601: weeks start on Monday and belong to the year of their Thursday. */
export function isoWeekOf(year: number, month: number, day: number): { isoYear: number; isoWeek: number } {
  const date = Date.UTC(year, month - 1, day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = date + (3 - mondayBased) * DAY_MS;
  const isoYear = new Date(thursday).getUTCFullYear();
  const isoWeek = 1 + Math.floor((thursday - Date.UTC(isoYear, 0, 1)) / (7 * DAY_MS));
  return { isoYear, isoWeek };
}
