import { HoldfastError, type CommandData, type CommandPayload } from "@holdfast/shared";
import { requireDatasource } from "../store/datasources.js";
import { appendEvent } from "../store/outbox.js";
import { findRunningRun, insertQueuedRun, listQueuedRuns, queuedPosition, transitionRun } from "../store/runs.js";
import type { RunContext } from "./context.js";
import { assertSafeRunId } from "./staging.js";

/**
 * Claims the one slot, synchronously, before any dump starts (so a second manual call right after
 * gets 409). Manual while busy: BACKUP_ALREADY_RUNNING. Scheduled while busy: queued (FIFO).
 */
export function startBackup(ctx: RunContext, payload: CommandPayload<"startBackup">): CommandData<"startBackup"> {
  assertSafeRunId(payload.runId);
  requireDatasource(ctx.store, payload.datasourceId);
  const outcome = ctx.store.transaction(() => {
    const running = findRunningRun(ctx.store);
    if (running && payload.trigger === "manual") {
      throw new HoldfastError("BACKUP_ALREADY_RUNNING", `Backup ${running.runId} is running on this agent`, { runId: running.runId });
    }
    const waiting = listQueuedRuns(ctx.store).length > 0;
    insertQueuedRun(ctx.store, {
      runId: payload.runId,
      datasourceId: payload.datasourceId,
      trigger: payload.trigger,
      scheduleId: payload.scheduleId ?? null,
      requestedBy: payload.requestedBy,
    });
    // A manual run never waits behind the queue; a scheduled one waits its turn.
    if (!running && (payload.trigger === "manual" || !waiting)) {
      transitionRun(ctx.store, payload.runId, { to: "running" });
      return { started: true, position: null };
    }
    const position = queuedPosition(ctx.store, payload.runId) ?? 1;
    appendEvent(ctx.store, "backupQueued", payload.runId, {
      datasourceId: payload.datasourceId,
      trigger: payload.trigger,
      scheduleId: payload.scheduleId ?? null,
      queuedPosition: position,
    });
    return { started: false, position };
  });
  if (outcome.started) ctx.slot.launch(payload.runId, payload.datasourceId);
  else ctx.slot.startNext();
  const state = outcome.started ? "running" : findState(ctx, payload.runId);
  return { runId: payload.runId, state, queuedPosition: state === "queued" ? queuedPosition(ctx.store, payload.runId) : null };
}

function findState(ctx: RunContext, runId: string) {
  return ctx.store.db.prepare("SELECT state FROM runs WHERE run_id = ?").pluck().get(runId) as CommandData<"startBackup">["state"];
}
