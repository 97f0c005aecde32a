import type { Cron } from "croner";
import { compileCron } from "../schedules/cron.js";

/**
 * Firings told by croner, kept per pattern and zone. Freshness asks, for every datasource on every
 * stats request and RPO pass, for the two firings after its last good backup: at 2,000 datasources
 * croner's walk (about 0.1 ms each) was a large part of `GET /stats`. The firings of a pattern in a
 * zone are a function of time alone, so they are computed once, in order, and looked up by binary
 * search after that. `firings` holds every firing in (`from`, its last], none between missed.
 */
interface Series {
  job: Cron;
  from: number;
  firings: number[];
  /** croner said there are no more after the last one. */
  ended: boolean;
}

const memo = new Map<string, Series | null>();
/** Patterns × zones kept; the memo is dropped whole past it (with SERIES_MAX: 8 MiB at most). */
const MEMO_MAX = 256;
/** Firings kept per series (a daily cron: eleven years; one every minute: three days); a wider span asks croner directly. */
const SERIES_MAX = 4_096;
const CHUNK = 64;

function seriesOf(cron: string, timezone: string): Series | null {
  const key = `${timezone}\u0000${cron}`;
  let s = memo.get(key);
  if (s !== undefined) return s;
  try {
    s = { job: compileCron(cron, timezone), from: Number.NaN, firings: [], ended: false };
  } catch {
    s = null; // a schedule the API accepted always compiles; an old row that does not is no verdict
  }
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(key, s);
  return s;
}

const runsAfter = (job: Cron, n: number, from: number) => job.nextRuns(n, new Date(from)).map((d) => d.getTime());

/** Whether covering `span` more milliseconds would pass SERIES_MAX, estimated from the known spacing before croner walks it. */
function tooWide(s: Series, span: number): boolean {
  const n = s.firings.length;
  return n >= 2 && n + (span * (n - 1)) / (s.firings[n - 1]! - s.firings[0]!) > SERIES_MAX;
}

/** Makes the series start at `from` or earlier; false when that would pass SERIES_MAX. */
function reach(s: Series, from: number): boolean {
  if (!Number.isNaN(s.from) && from >= s.from) return true;
  if (Number.isNaN(s.from)) {
    const first = runsAfter(s.job, CHUNK, from);
    Object.assign(s, { from, firings: first, ended: first.length < CHUNK });
    return true;
  }
  const known = s.firings.length;
  if (tooWide(s, s.from - from)) return false;
  const head = s.firings[0] ?? Number.POSITIVE_INFINITY;
  const earlier: number[] = [];
  for (let cursor = from; ; ) {
    const chunk = runsAfter(s.job, CHUNK, cursor);
    for (const f of chunk) if (f < head) earlier.push(f);
    if (chunk.length < CHUNK || chunk[chunk.length - 1]! >= head) break;
    if (earlier.length + known > SERIES_MAX) return false;
    cursor = chunk[chunk.length - 1]!;
  }
  s.firings = earlier.concat(s.firings);
  s.from = from;
  return true;
}

/** The first index whose firing is strictly after `at`. */
function firstAfter(firings: readonly number[], at: number): number {
  let lo = 0;
  let hi = firings.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (firings[mid]! > at) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The first `count` (1 or 2) firings of `cron` in `timezone` strictly after `from` (epoch ms), fewer
 * when the cron ends; null when the pattern does not compile. The same answers as croner's nextRuns.
 */
export function firingsAfter(cron: string, timezone: string, from: number, count: 1 | 2): number[] | null {
  const s = seriesOf(cron, timezone);
  if (!s) return null;
  if (!reach(s, from) || tooWide(s, from - (s.firings[s.firings.length - 1] ?? from))) return runsAfter(s.job, count, from);
  for (;;) {
    const i = firstAfter(s.firings, from);
    if (i + count <= s.firings.length || s.ended) return s.firings.slice(i, i + count);
    if (s.firings.length >= SERIES_MAX) return runsAfter(s.job, count, from);
    const more = runsAfter(s.job, CHUNK, s.firings[s.firings.length - 1] ?? s.from);
    s.firings.push(...more);
    s.ended = more.length < CHUNK;
  }
}
