/**
 * Times as a viewer reads them: in the browser's own zone, 24-hour, with the zone named, so a time
 * in the console is never read in the wrong zone (the complaint peers' users file most about times).
 */

/** The viewer's IANA time zone, as the browser reports it. */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export interface DateTimeOptions {
  /** An IANA zone; the viewer's by default. */
  timeZone?: string;
  /** Show seconds (runs, events); minutes by default. */
  seconds?: boolean;
  /** Append ` (Zone/Name)`; true by default. False where a heading already names the zone. */
  withZone?: boolean;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string, seconds: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${seconds}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      ...(seconds ? { second: "2-digit" } : {}),
      hourCycle: "h23",
    });
    formatters.set(key, f);
  }
  return f;
}

/**
 * `2026-12-07 03:00 (Europe/Lisbon)`: an ISO time or Date in a zone, year first so it sorts and reads
 * the same in every locale.
 */
export function formatDateTime(value: string | Date, options: DateTimeOptions = {}): string {
  const timeZone = options.timeZone ?? viewerTimeZone();
  const date = typeof value === "string" ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return "invalid date";
  const parts = Object.fromEntries(formatterFor(timeZone, options.seconds ?? false).formatToParts(date).map((p) => [p.type, p.value]));
  const time = `${parts.hour}:${parts.minute}${options.seconds ? `:${parts.second}` : ""}`;
  const text = `${parts.year}-${parts.month}-${parts.day} ${time}`;
  return options.withZone === false ? text : `${text} (${timeZone})`;
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86_400],
  ["month", 30 * 86_400],
  ["week", 7 * 86_400],
  ["day", 86_400],
  ["hour", 3_600],
  ["minute", 60],
];

/** `5 minutes ago`, `in 3 hours`, `now`: the largest whole unit of the gap between `value` and `now`. */
export function formatRelative(value: string | Date, now: Date): string {
  const date = typeof value === "string" ? new Date(value) : value;
  const seconds = (date.getTime() - now.getTime()) / 1000;
  if (Number.isNaN(seconds)) return "invalid date";
  const size = Math.abs(seconds);
  for (const [unit, length] of UNITS) {
    if (size >= length) return relative.format(Math.trunc(seconds / length), unit);
  }
  return size < 10 ? relative.format(0, "second") : relative.format(Math.trunc(seconds), "second");
}

/** `850 ms`, `12 s`, `3 min 05 s`, `2 h 10 min`: how long a run or a transfer took. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min ${String(totalSeconds % 60).padStart(2, "0")} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
}
