/**
 * Backups grouped by UTC day and state, as the database counts them (get-stats.ts): the figures
 * never read a run row, so a month of a million-run catalogue is a few hundred groups, not tens of
 * thousands of rows. `in7`/`in30`: the group's runs were created in the last 7 / 30 days (now - n
 * days, not day-aligned, like the rates say).
 */
export interface DayStateGroup {
  /** Days since the epoch (UTC). */
  day: number;
  state: string;
  in7: boolean;
  in30: boolean;
  runs: number;
  /** Sum of the artifact sizes (completed runs have one). */
  bytes: number;
  /** Over the runs with both a start and a finish: their count, total and longest duration. */
  timed: number;
  durationSumMs: number;
  durationMaxMs: number | null;
}

export interface SuccessRate {
  completed: number;
  failed: number;
  missed: number;
  /** completed / (completed + failed + missed), 0..1; null when there were none. */
  rate: number | null;
}

export interface DayFigures {
  /** `2026-11-24`, a UTC day. */
  day: string;
  backups: number;
  completed: number;
  failed: number;
  missed: number;
  /** Sum of the completed backups' artifact sizes. */
  bytes: number;
  /** Mean and longest start-to-finish time of the completed backups; null without any. */
  avgDurationMs: number | null;
  maxDurationMs: number | null;
}

const DAY_MS = 86_400_000;

/** Backups of the groups inside the window: a cancelled, expired or unfinished one is neither success nor failure. */
export function successRate(groups: readonly DayStateGroup[], window: "in7" | "in30"): SuccessRate {
  const count = (state: string) => groups.reduce((n, g) => n + (g[window] && g.state === state ? g.runs : 0), 0);
  const completed = count("completed");
  const failed = count("failed");
  const missed = count("missed");
  const total = completed + failed + missed;
  return { completed, failed, missed, rate: total === 0 ? null : completed / total };
}

/** One entry per UTC day, the last `days` ending today, oldest first, days without backups included. */
export function dailySeries(groups: readonly DayStateGroup[], now: number, days: number): DayFigures[] {
  const today = Math.floor(now / DAY_MS);
  const series: DayFigures[] = [];
  for (let d = today - days + 1; d <= today; d++) {
    const of = groups.filter((g) => g.day === d);
    const sum = (state: string | undefined, f: (g: DayStateGroup) => number) => of.reduce((n, g) => n + (state === undefined || g.state === state ? f(g) : 0), 0);
    const done = of.filter((g) => g.state === "completed");
    const timed = sum("completed", (g) => g.timed);
    const longest = done.flatMap((g) => (g.durationMaxMs === null ? [] : [g.durationMaxMs]));
    series.push({
      day: new Date(d * DAY_MS).toISOString().slice(0, 10),
      backups: sum(undefined, (g) => g.runs),
      completed: sum("completed", (g) => g.runs),
      failed: sum("failed", (g) => g.runs),
      missed: sum("missed", (g) => g.runs),
      bytes: sum("completed", (g) => g.bytes),
      avgDurationMs: timed === 0 ? null : Math.round(sum("completed", (g) => g.durationSumMs) / timed),
      maxDurationMs: longest.length === 0 ? null : Math.max(...longest),
    });
  }
  return series;
}
