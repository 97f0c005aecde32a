import prettyBytes from "pretty-bytes";

/** `1.23 GB`: decimal units, as the console (web/src/format/bytes.ts) and the quotas count; `-` when unknown. */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "-";
  return prettyBytes(n, { maximumFractionDigits: 2 });
}

/** A duration in milliseconds for people: `0.4 ms`, `12 ms`. */
export function millis(ms: number): string {
  return `${ms < 10 ? Number(ms.toFixed(1)) : Math.round(ms)} ms`;
}
