import { and, eq, gte, lt, or, sql } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Database } from "../db/index.js";
import type { DayStateGroup } from "./figures.js";

const DAY_MS = 86_400_000;

const HOUR_MS = 3_600_000;

/** The backups created in one hour, by state: a day's memo holds these, so a cut through the day costs an hour's rows. */
type HourGroup = Omit<DayStateGroup, "day" | "in7" | "in30"> & { hour: number };

/** A day's hour groups, and the same summed by state (what a day no cut goes through contributes). */
interface CountedDay {
  version: number;
  hours: HourGroup[];
  byState: Omit<DayStateGroup, "day" | "in7" | "in30">[];
}

/**
 * Per database, the hour groups of UTC days counted before, with the backup_day_versions version
 * they were counted at (triggers on runs bump a day's version with every write that could change
 * its groups: db/schema/sqlite/catalogue.ts). Bounded: days older than the widest window are dropped.
 */
const memo = new WeakMap<Database, Map<number, CountedDay>>();
/** The widest window StatsQuery allows, and a day of slack. */
const KEEP_DAYS = 367;

/**
 * The backups created in the last `windowDays`, counted per UTC day and state (and whether inside
 * 7 and 30 days). Counting a month at a million runs reads 40,000 index entries and sorts them
 * (~30 ms); a day is ~1,400, an hour ~60. So each day is counted once per version, by hour, and
 * reused: a request counts the days written to since (today, mostly), the hours cut by
 * `now - 7 days`, `now - 30 days` or the window's start (their in7/in30 split moves with now), and
 * anything created after today; every other hour's groups take the flags of where the hour lies.
 */
export async function dayStateGroups(ctx: DbContext, now: number, windowDays: number): Promise<DayStateGroup[]> {
  const from = now - windowDays * DAY_MS;
  const [c30, c7] = [now - 30 * DAY_MS, now - 7 * DAY_MS];
  const firstDay = Math.floor(from / DAY_MS);
  const today = Math.floor(now / DAY_MS);
  const cutHours = new Set([from, c30, c7].filter((c) => c >= from && c % HOUR_MS !== 0).map((c) => Math.floor(c / HOUR_MS)));
  // One statement for the cut hours and whatever was created after today: a round trip each costs more than their rows.
  const raw: [number, number | undefined][] = [...cutHours].map((h) => [Math.max(from, h * HOUR_MS), (h + 1) * HOUR_MS]);
  const groups = await countGroups(ctx, now, [...raw, [(today + 1) * DAY_MS, undefined]]);

  const days = await countedDays(ctx, firstDay, today);
  for (let d = firstDay; d <= today; d++) {
    const counted = days.get(d)!;
    const [start, end] = [d * DAY_MS, (d + 1) * DAY_MS];
    if (![from, c30, c7].some((c) => c > start && c < end)) {
      // Not cut: the whole day on one side of each cut, its groups as counted.
      for (const g of counted.byState) groups.push({ ...g, day: d, in7: start >= c7, in30: start >= c30 });
      continue;
    }
    for (const { hour, ...g } of counted.hours) {
      const at = hour * HOUR_MS;
      if (at < from || cutHours.has(hour)) continue;
      groups.push({ ...g, day: d, in7: at >= c7, in30: at >= c30 });
    }
  }
  return merged(groups);
}

/** Each day of [firstDay, today] with its hour groups, counted again where its version moved. */
async function countedDays(ctx: DbContext, firstDay: number, today: number): Promise<Map<number, CountedDay>> {
  const { db, t } = ctx.database;
  let days = memo.get(ctx.database);
  if (!days) memo.set(ctx.database, (days = new Map()));
  for (const d of days.keys()) if (d < today - KEEP_DAYS || d > today) days.delete(d);
  const v = t.backupDayVersions;
  const versions = new Map((await db.select().from(v).where(and(gte(v.day, firstDay), lt(v.day, today + 1)))).map((r) => [Number(r.day), Number(r.version)]));
  const stale: number[] = [];
  for (let d = firstDay; d <= today; d++) if (days.get(d)?.version !== (versions.get(d) ?? 0)) stale.push(d);
  // Consecutive stale days are counted by one range.
  for (let i = 0; i < stale.length; ) {
    let j = i;
    while (j + 1 < stale.length && stale[j + 1] === stale[j]! + 1) j++;
    const counted = await countHourGroups(ctx, stale[i]! * DAY_MS, (stale[j]! + 1) * DAY_MS);
    for (let d = stale[i]!; d <= stale[j]!; d++) {
      const hours = counted.filter((g) => Math.floor(g.hour / 24) === d);
      const byState = merged(hours.map(({ hour: _, ...g }) => ({ ...g, day: d, in7: false, in30: false }))).map(({ day: _d, in7: _7, in30: _30, ...g }) => g);
      days.set(d, { version: versions.get(d) ?? 0, hours, byState });
    }
    i = j + 1;
  }
  return days;
}

/** One group per day, state, in7 and in30, as the database would have grouped them. */
function merged(groups: readonly DayStateGroup[]): DayStateGroup[] {
  const byKey = new Map<string, DayStateGroup>();
  for (const g of groups) {
    const key = `${g.day}/${g.state}/${g.in7}/${g.in30}`;
    const m = byKey.get(key);
    if (!m) {
      byKey.set(key, { ...g });
      continue;
    }
    m.runs += g.runs;
    m.bytes += g.bytes;
    m.timed += g.timed;
    m.durationSumMs += g.durationSumMs;
    m.durationMaxMs = m.durationMaxMs === null ? g.durationMaxMs : g.durationMaxMs === null ? m.durationMaxMs : Math.max(m.durationMaxMs, g.durationMaxMs);
  }
  return [...byKey.values()];
}

/** The backups created in [lo, hi) by hour and state: the day memo's unit. */
async function countHourGroups(ctx: DbContext, lo: number, hi: number): Promise<HourGroup[]> {
  const { db, t } = ctx.database;
  const r = t.runs;
  const hour = sql<number>`${r.createdAt} / ${sql.raw(String(HOUR_MS))}`;
  const rows = await db
    .select({ hour, state: r.state, ...aggregates(r) })
    .from(r)
    .where(and(eq(r.kind, "backup"), gte(r.createdAt, lo), lt(r.createdAt, hi)))
    .groupBy(hour, r.state);
  return rows.map((g) => ({ hour: Number(g.hour), state: g.state, ...figuresOf(g) }));
}

/**
 * The backups created in any of the ranges [lo, hi) (hi undefined: no end), counted by the database
 * per UTC day and state (and whether inside 7 and 30 days of `now`): a range of
 * runs_kind_created_at_idx each, index only. The bounds are inlined
 * integers, not parameters, so that PostgreSQL sees the grouped expressions in SELECT and GROUP BY
 * as the same ones.
 */
export async function countGroups(ctx: DbContext, now: number, ranges: readonly [lo: number, hi: number | undefined][]): Promise<DayStateGroup[]> {
  const { db, t } = ctx.database;
  const r = t.runs;
  const int = (n: number) => sql.raw(String(Math.trunc(n)));
  const day = sql<number>`${r.createdAt} / ${int(DAY_MS)}`;
  const in7 = sql<number>`case when ${r.createdAt} >= ${int(now - 7 * DAY_MS)} then 1 else 0 end`;
  const in30 = sql<number>`case when ${r.createdAt} >= ${int(now - 30 * DAY_MS)} then 1 else 0 end`;
  const rows = await db
    .select({ day, state: r.state, in7, in30, ...aggregates(r) })
    .from(r)
    .where(and(eq(r.kind, "backup"), or(...ranges.map(([lo, hi]) => and(gte(r.createdAt, lo), hi === undefined ? undefined : lt(r.createdAt, hi))))))
    .groupBy(day, r.state, in7, in30);
  return rows.map((g) => ({ day: Number(g.day), state: g.state, in7: Number(g.in7) === 1, in30: Number(g.in30) === 1, ...figuresOf(g) }));
}

/** What the groups count: runs, bytes, and over the runs with both a start and a finish, their count, total and longest duration. */
function aggregates(r: DbContext["database"]["t"]["runs"]) {
  const duration = sql`case when ${r.startedAt} is not null and ${r.finishedAt} is not null then ${r.finishedAt} - ${r.startedAt} end`;
  return {
    runs: sql<string | number>`count(*)`,
    bytes: sql<string | number | null>`sum(${r.sizeBytes})`,
    timed: sql<string | number>`count(${duration})`,
    durationSum: sql<string | number | null>`sum(${duration})`,
    durationMax: sql<string | number | null>`max(${duration})`,
  };
}

type Aggregated = { runs: string | number; bytes: string | number | null; timed: string | number; durationSum: string | number | null; durationMax: string | number | null };

function figuresOf(g: Aggregated): Pick<DayStateGroup, "runs" | "bytes" | "timed" | "durationSumMs" | "durationMaxMs"> {
  const num = (v: string | number | null) => (v === null ? 0 : Number(v));
  return { runs: num(g.runs), bytes: num(g.bytes), timed: num(g.timed), durationSumMs: num(g.durationSum), durationMaxMs: g.durationMax === null ? null : Number(g.durationMax) };
}
