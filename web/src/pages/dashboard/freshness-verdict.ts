import type { DatasourceFreshness } from "./dashboard-queries.js";

export interface FreshnessVerdict {
  label: string;
  color: "green" | "red" | "yellow" | "gray";
  /** One sentence on what it means and, when something is wrong, what to do. */
  hint: string;
}

/**
 * A datasource's last good backup against its schedules, as a word (the colour only repeats it). The
 * control plane decides `overdue` (stats/freshness.ts); this only names the cases.
 */
export function freshnessVerdict(item: DatasourceFreshness): FreshnessVerdict {
  if (item.overdue) {
    return {
      label: "overdue",
      color: "red",
      hint: item.runId ? "A scheduled backup is missing: open Runs to see why it failed or did not run." : "Its schedule has fired but no backup completed yet: open Runs to see why.",
    };
  }
  if (item.runId === null) {
    return item.activeSchedules > 0
      ? { label: "first due", color: "yellow", hint: "Its schedule has not fired yet; Run now backs it up at once." }
      : { label: "never backed up", color: "gray", hint: "No active schedule: add one under Schedules, or use Run now." };
  }
  if (item.activeSchedules === 0) return { label: "unscheduled", color: "gray", hint: "Backed up by hand only: add or resume a schedule to keep it current." };
  return { label: "on time", color: "green", hint: "Its last good backup is as recent as its schedules ask." };
}
