/** The run fields the figures read. */
export interface WindowRun {
  createdAt: number;
  state: string;
  sizeBytes: number | null;
  startedAt: number | null;
  finishedAt: number | null;
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

/** Backups created since `since`: a cancelled, expired or unfinished one is neither success nor failure. */
export function successRate(runs: readonly WindowRun[], since: number): SuccessRate {
  const count = (state: string) => runs.filter((r) => r.createdAt >= since && r.state === state).length;
  const completed = count("completed");
  const failed = count("failed");
  const missed = count("missed");
  const total = completed + failed + missed;
  return { completed, failed, missed, rate: total === 0 ? null : completed / total };
}

/** One entry per UTC day, the last `days` ending today, oldest first, days without backups included. */
export function dailySeries(runs: readonly WindowRun[], now: number, days: number): DayFigures[] {
  const today = Math.floor(now / DAY_MS);
  const byDay = new Map<number, WindowRun[]>();
  for (const r of runs) {
    const d = Math.floor(r.createdAt / DAY_MS);
    const list = byDay.get(d);
    if (list) list.push(r);
    else byDay.set(d, [r]);
  }
  const series: DayFigures[] = [];
  for (let d = today - days + 1; d <= today; d++) {
    const of = byDay.get(d) ?? [];
    const done = of.filter((r) => r.state === "completed");
    const durations = done.flatMap((r) => (r.startedAt !== null && r.finishedAt !== null ? [r.finishedAt - r.startedAt] : []));
    series.push({
      day: new Date(d * DAY_MS).toISOString().slice(0, 10),
      backups: of.length,
      completed: done.length,
      failed: of.filter((r) => r.state === "failed").length,
      missed: of.filter((r) => r.state === "missed").length,
      bytes: done.reduce((sum, r) => sum + (r.sizeBytes ?? 0), 0),
      avgDurationMs: durations.length === 0 ? null : Math.round(durations.reduce((a, b) => a + b, 0) / durations.length),
      maxDurationMs: durations.length === 0 ? null : Math.max(...durations),
    });
  }
  return series;
}
