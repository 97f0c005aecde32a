import type { AgentStore } from "./store.js";

export type RunLogLevel = "debug" | "info" | "warn" | "error";

export interface RunLogLine {
  at: string;
  level: RunLogLevel;
  message: string;
}

const MAX_MESSAGE = 2000;
/** Per run: a run that floods (a chatty tool) keeps its first lines and the cap notice, not unbounded rows. */
export const MAX_LINES_PER_RUN = 500;

/**
 * Keeps one notable line of a run (a step, a tool warning, the failure) for getRunLogs. Callers pass
 * text that is already redacted (tool stderr goes through redactSecrets before it gets here).
 */
export function appendRunLog(store: AgentStore, runId: string, level: RunLogLevel, message: string): void {
  const count = store.db.prepare("SELECT count(*) FROM run_logs WHERE run_id = ?").pluck().get(runId) as number;
  if (count > MAX_LINES_PER_RUN) return;
  const text = count === MAX_LINES_PER_RUN ? `(further lines dropped: more than ${MAX_LINES_PER_RUN})` : message.slice(0, MAX_MESSAGE);
  store.db
    .prepare("INSERT INTO run_logs (run_id, at, level, message) VALUES (?, ?, ?, ?)")
    .run(runId, store.clock.now().toISOString(), count === MAX_LINES_PER_RUN ? "warn" : level, text);
}

export function listRunLogs(store: AgentStore, runId: string): RunLogLine[] {
  return store.db.prepare("SELECT at, level, message FROM run_logs WHERE run_id = ? ORDER BY id").all(runId) as RunLogLine[];
}
