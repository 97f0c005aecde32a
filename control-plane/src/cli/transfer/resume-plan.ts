/**
 * Where a download starts, from what is already on disk (`FILE.partial`) and the artifact's size:
 * nothing there → from 0; fewer bytes → ask for the rest (`Range: bytes=N-`); as many → nothing to
 * fetch, only the check; more → the partial cannot be this artifact's beginning, start over.
 */
export type ResumePlan = { from: 0; fetch: true } | { from: number; fetch: true; range: string } | { from: number; fetch: false };

export function resumePlan(partialBytes: number | null, sizeBytes: number): ResumePlan {
  if (partialBytes === null || partialBytes === 0 || partialBytes > sizeBytes) return { from: 0, fetch: true };
  if (partialBytes === sizeBytes) return { from: sizeBytes, fetch: false };
  return { from: partialBytes, fetch: true, range: `bytes=${partialBytes}-` };
}

/**
 * How to write what the server answered to a ranged request: 206 with `Content-Range: bytes N-…`
 * for our N → append; 200 (the If-Range validator no longer matched, or no range asked) → the whole
 * artifact, truncate and write from 0. Anything else is not an answer we can build on.
 */
export function writeModeOf(status: number, contentRange: string | null, from: number): "append" | "truncate" | null {
  if (status === 200) return "truncate";
  if (status !== 206 || contentRange === null) return null;
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange.trim());
  return m && Number(m[1]) === from ? "append" : null;
}
