import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Database } from "../db/index.js";
import type { DayStateGroup } from "./figures.js";

const DAY_MS = 86_400_000;

/** A whole day's groups, as they stay while its version does: in7/in30 are the reader's (they move with now). */
type DayGroups = Omit<DayStateGroup, "in7" | "in30">[];

/**
 * Per database, the groups of whole UTC days counted before, with the backup_day_versions version
 * they were counted at (triggers on runs bump a day's version with every write that could change
 * its groups: db/schema/sqlite/catalogue.ts). Bounded: days older than the widest window are dropped.
 */
const memo = new WeakMap<Database, Map<number, { version: number; groups: DayGroups }>>();
/** The widest window StatsQuery allows, and a day of slack. */
const KEEP_DAYS = 367;

/**
 * The backups created in the last `windowDays`, counted per UTC day and state (and whether inside
 * 7 and 30 days). Counting a month at a million runs reads 40,000 index entries and sorts them
 * (~30 ms); a day is ~1,400. So each whole day is counted once and reused while its version stands:
 * a request counts the days written to since (today, mostly), the days cut by `now - 7 days`,
 * `now - 30 days` or the window's start (counted each time: their in7/in30 split moves with now),
 * and anything created after today.
 */
export async function dayStateGroups(ctx: DbContext, now: number, windowDays: number): Promise<DayStateGroup[]> {
  const from = now - windowDays * DAY_MS;
  const firstDay = Math.floor(from / DAY_MS);
  const today = Math.floor(now / DAY_MS);
  const cutDays = new Set([from, now - 30 * DAY_MS, now - 7 * DAY_MS].filter((c) => c >= from && c % DAY_MS !== 0).map((c) => Math.floor(c / DAY_MS)));
  const groups: DayStateGroup[] = [];
  for (const d of cutDays) groups.push(...(await countGroups(ctx, now, Math.max(from, d * DAY_MS), (d + 1) * DAY_MS)));
  groups.push(...(await countGroups(ctx, now, (today + 1) * DAY_MS, undefined)));

  const { db, t } = ctx.database;
  let days = memo.get(ctx.database);
  if (!days) memo.set(ctx.database, (days = new Map()));
  for (const d of days.keys()) if (d < today - KEEP_DAYS || d > today) days.delete(d);
  const whole: number[] = [];
  for (let d = firstDay; d <= today; d++) if (!cutDays.has(d)) whole.push(d);
  const versions = new Map(
    (await db.select().from(t.backupDayVersions).where(and(gte(t.backupDayVersions.day, firstDay), lt(t.backupDayVersions.day, today + 1)))).map((v) => [v.day, Number(v.version)]),
  );
  const stale = whole.filter((d) => days.get(d)?.version !== (versions.get(d) ?? 0));
  // Consecutive stale days are counted by one range.
  for (let i = 0; i < stale.length; ) {
    let j = i;
    while (j + 1 < stale.length && stale[j + 1] === stale[j]! + 1) j++;
    const counted = await countGroups(ctx, now, stale[i]! * DAY_MS, (stale[j]! + 1) * DAY_MS);
    for (let d = stale[i]!; d <= stale[j]!; d++) {
      days.set(d, { version: versions.get(d) ?? 0, groups: counted.filter((g) => g.day === d).map(({ in7: _7, in30: _30, ...g }) => g) });
    }
    i = j + 1;
  }
  for (const d of whole) {
    const in7 = d * DAY_MS >= now - 7 * DAY_MS;
    const in30 = d * DAY_MS >= now - 30 * DAY_MS;
    for (const g of days.get(d)!.groups) groups.push({ ...g, in7, in30 });
  }
  return groups;
}

/**
 * The backups created in [lo, hi), counted by the database per UTC day and state (and whether inside
 * 7 and 30 days of `now`): one range of runs_kind_created_at_idx, index only. The bounds are inlined
 * integers, not parameters, so that PostgreSQL sees the grouped expressions in SELECT and GROUP BY
 * as the same ones.
 */
export async function countGroups(ctx: DbContext, now: number, lo: number, hi: number | undefined): Promise<DayStateGroup[]> {
  const { db, t } = ctx.database;
  const r = t.runs;
  const int = (n: number) => sql.raw(String(Math.trunc(n)));
  const day = sql<number>`${r.createdAt} / ${int(DAY_MS)}`;
  const in7 = sql<number>`case when ${r.createdAt} >= ${int(now - 7 * DAY_MS)} then 1 else 0 end`;
  const in30 = sql<number>`case when ${r.createdAt} >= ${int(now - 30 * DAY_MS)} then 1 else 0 end`;
  const duration = sql`case when ${r.startedAt} is not null and ${r.finishedAt} is not null then ${r.finishedAt} - ${r.startedAt} end`;
  const rows = await db
    .select({
      day,
      state: r.state,
      in7,
      in30,
      runs: sql<string | number>`count(*)`,
      bytes: sql<string | number | null>`sum(${r.sizeBytes})`,
      timed: sql<string | number>`count(${duration})`,
      durationSum: sql<string | number | null>`sum(${duration})`,
      durationMax: sql<string | number | null>`max(${duration})`,
    })
    .from(r)
    .where(and(eq(r.kind, "backup"), gte(r.createdAt, lo), hi === undefined ? undefined : lt(r.createdAt, hi)))
    .groupBy(day, r.state, in7, in30);
  const num = (v: string | number | null) => (v === null ? 0 : Number(v));
  return rows.map((g) => ({
    day: Number(g.day),
    state: g.state,
    in7: Number(g.in7) === 1,
    in30: Number(g.in30) === 1,
    runs: num(g.runs),
    bytes: num(g.bytes),
    timed: num(g.timed),
    durationSumMs: num(g.durationSum),
    durationMaxMs: g.durationMax === null ? null : Number(g.durationMax),
  }));
}
