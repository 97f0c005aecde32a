import type { RetentionBackup } from "./types.js";

export const HELD = "held";

/**
 * Why a held backup stays (`held: <reason>`), or null when it is not held. A legal hold
 * (runs/hold-run.ts) joins the protections of protected.ts: the planners still weigh a held
 * backup as any other (it may be the one a rule keeps), and only the verdict changes, so setting or
 * lifting a hold never moves what else a policy keeps.
 */
export function heldReason(b: Pick<RetentionBackup, "held">): string | null {
  if (b.held === undefined || b.held === null) return null;
  return b.held === "" ? HELD : `${HELD}: ${b.held}`;
}
