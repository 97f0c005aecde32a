import prettyBytes from "pretty-bytes";

/**
 * `1.23 GB`: decimal units, as a destination's `maxSizeGb` counts them (1 GB = 10^9 bytes), so a
 * size shown here and a quota set there agree. Null (not known yet) reads as a dash.
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "—";
  return prettyBytes(bytes, { maximumFractionDigits: 2 });
}
