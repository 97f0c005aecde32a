import { formatBytes } from "../../format/bytes.js";
import { formatDuration } from "../../format/time.js";
import type { RunItem } from "./runs-query.js";

/** When the run began, as far as it got: started, else queued, else null (still pending). */
export function runBegan(run: Pick<RunItem, "startedAt" | "queuedAt" | "fireTime">): string | null {
  return run.startedAt ?? run.queuedAt ?? run.fireTime;
}

/** How long the run took, or `—` while it has not both started and ended. */
export function runDuration(run: Pick<RunItem, "startedAt" | "finishedAt">): string {
  if (!run.startedAt || !run.finishedAt) return "—";
  return formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt));
}

/** The artifact's stored size for a backup, `—` otherwise. */
export function runSize(run: Pick<RunItem, "sizeBytes">): string {
  return formatBytes(run.sizeBytes);
}

/** A run's title: `Backup run_01…`. */
export function runTitle(run: Pick<RunItem, "kind">): string {
  return run.kind === "backup" ? "Backup" : run.kind === "restore" ? "Restore" : "Drill";
}
