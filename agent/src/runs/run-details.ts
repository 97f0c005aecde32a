import type { CommandData } from "@holdfast/shared/protocol";
import { listRunLogs } from "../store/run-logs.js";
import { requireRun } from "../queue/run-record.js";
import type { AgentStore } from "../store/store.js";

/** getRunLogs: the run's notable lines (steps, tool warnings, its end), oldest first. */
export function getRunLogs(store: AgentStore, runId: string): CommandData<"getRunLogs"> {
  requireRun(store, runId);
  return { runId, lines: listRunLogs(store, runId) };
}

/** getRunErrorDetails: the run's catalog error body (null unless it failed). */
export function getRunErrorDetails(store: AgentStore, runId: string): CommandData<"getRunErrorDetails"> {
  const run = requireRun(store, runId);
  return { runId, state: run.state, error: run.error };
}
