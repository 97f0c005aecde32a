// How many repetitions each scenario runs: `full` (npm run test:faults, the table in
// docs/reliability.md) or `ci` (npm test, via tests/run-all.mjs), chosen by HOLDFAST_FAULT_PROFILE.
export const PROFILE_VARIABLE = "HOLDFAST_FAULT_PROFILE";
export type Profile = "full" | "ci";

export function profile(): Profile {
  const p = process.env[PROFILE_VARIABLE] ?? "full";
  if (p !== "full" && p !== "ci") throw new Error(`${PROFILE_VARIABLE} must be full or ci, not ${p}`);
  return p;
}

/** A scenario's repetitions in this profile; CI runs each scenario at least twice. */
export function repetitions(counts: { full: number; ci: number }): number {
  return Math.max(2, counts[profile()]);
}
