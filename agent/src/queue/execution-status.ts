import type { CommandData } from "@holdfast/shared/protocol";
import { queuedPosition } from "./queue-queries.js";
import { requireRun } from "./run-record.js";
import type { AgentStore } from "../store/store.js";

export function getExecutionStatus(store: AgentStore, runId: string): CommandData<"getExecutionStatus"> {
  const run = requireRun(store, runId);
  return { runId, state: run.state, queuedPosition: run.state === "queued" ? queuedPosition(store, runId) : null };
}
