/** Edits between two short strings (insert, delete, substitute, swap two neighbours: "prot" is one from "port"). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known key an unknown one was most likely meant to be, or undefined: the same key in another
 * case or with separators ("spool_dir"), the variable's name written as a key ("HOLDFAST_PORT"), or
 * a typo within a third of its length ("prot").
 */
export function closestKey<K extends string>(unknown: string, keys: readonly K[], variableOf: (key: K) => string): K | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  const exact = keys.find((key) => squash(key) === squash(unknown) || variableOf(key) === unknown.toUpperCase());
  if (exact) return exact;
  let best: { key: K; d: number } | undefined;
  for (const key of keys) {
    const d = distance(squash(unknown), squash(key));
    if (!best || d < best.d) best = { key, d };
  }
  return best && best.d <= Math.max(1, Math.floor(unknown.length / 3)) ? best.key : undefined;
}
