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
    f = new Intl.DateTimeFormat("en-US", { timeZone, calendar: "gregory", year: "numeric", month: "numeric", day: "numeric" });
    formatters.set(timeZone, f);
  }
  return f;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/**
 * Intl holds the zone rules (DST, historical offsets) the platform's tzdata knows, so no date
 * library is needed: only the local date is read from it, the week arithmetic is on plain dates.
 */
export function calendarKeys(at: Date, timeZone: string): CalendarKeys {
  const parts = formatterFor(timeZone).formatToParts(at);
  const num = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const year = num("year");
  const month = num("month");
  const day = num("day");
  const { isoYear, isoWeek } = isoWeekOf(year, month, day);
  return {
    day: `${pad(year, 4)}-${pad(month)}-${pad(day)}`,
    week: `${pad(isoYear, 4)}-W${pad(isoWeek)}`,
    month: `${pad(year, 4)}-${pad(month)}`,
    year: pad(year, 4),
  };
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
