// Order statistics for benchmark samples: a handful of timed repetitions, so the median and the
// whole range say more than a mean and a standard deviation would.

export type Summary = { n: number; median: number; min: number; max: number; q1: number; q3: number };

/** The q-quantile (0..1) of sorted values, interpolated linearly between ranks (R's type 7, numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error("quantile of no samples");
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, median: quantile(sorted, 0.5), min: sorted[0]!, max: sorted.at(-1)!, q1: quantile(sorted, 0.25), q3: quantile(sorted, 0.75) };
}

/** Each pair's a/b: the ratio of medians would hide drift that hits both sides of a pair alike. */
export function pairRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`unpaired samples: ${a.length} and ${b.length}`);
  return a.map((x, i) => x / b[i]!);
}

export type Target = { op: "<=" | ">="; limit: number };

/** A target is judged on the median: one slow repetition out of five does not fail it, three do. */
export function meets(s: Summary, t: Target): boolean {
  return t.op === "<=" ? s.median <= t.limit : s.median >= t.limit;
}
