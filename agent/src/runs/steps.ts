import type { EventData } from "@holdfast/shared/protocol";
import { appendEvent } from "../store/outbox.js";
import { appendRunLog, type RunLogLevel } from "../store/run-logs.js";
import type { AgentStore } from "../store/store.js";
import type { RestoreStage } from "../queue/run-record.js";

export type Step = EventData<"backupStep">["step"];

/** A step began: a backupStep event for the control plane and a line in the run's log, in one transaction. */
export function recordStep(store: AgentStore, runId: string, step: Step, message: string): void {
  store.transaction(() => {
    appendEvent(store, "backupStep", runId, { step, message: message.slice(0, 500) });
    appendRunLog(store, runId, "info", `[${step}] ${message}`);
  });
}

/** A notable line that is not a step (tool warnings, preflight warnings). */
export function recordRunLog(store: AgentStore, runId: string, level: RunLogLevel, message: string): void {
  store.transaction(() => appendRunLog(store, runId, level, message));
}

/** A restore run entered a stage: recorded on the run (a failure names it) with a restoreStep event. */
export function recordRestoreStage(store: AgentStore, runId: string, stage: RestoreStage, message: string): void {
  store.transaction(() => {
    store.db.prepare("UPDATE runs SET restore_stage = ? WHERE run_id = ? AND state = 'running'").run(stage, runId);
    appendEvent(store, "restoreStep", runId, { step: stage, message: message.slice(0, 500) });
    appendRunLog(store, runId, "info", `[${stage}] ${message}`);
  });
}
