import { HoldfastError, type CommandData, type CommandPayload } from "@holdfast/shared/protocol";
import { QUEUE_RULES } from "../queue/start-backup.js";
import type { RunContext } from "../runs/context.js";
import { assertSafeRunId } from "../staging/run-folders.js";
import { requireDatasource } from "../store/datasources.js";
import { findRunningRun } from "../queue/queue-queries.js";
import { getRun } from "../queue/run-record.js";
import { insertQueuedRun, transitionRun } from "../queue/transitions.js";
import { artifactKindToRestore } from "./artifact-kind.js";
import { executeRestore, requireIdentity, type RestoreDeps } from "./execute-restore.js";
import { restoreTargetFor } from "./restore-target.js";

type Payload = CommandPayload<"startRestore">;

/**
 * startRestore: takes the one slot like a manual backup (409 BACKUP_ALREADY_RUNNING when a run holds
 * it, 503 AGENT_STOPPING while stopping; restores never queue), records the restore run as running in
 * one transaction with its restoreStarted event, and starts it. The same runId again answers that
 * run's state (a resend); the same runId for something else is 409 ALREADY_EXISTS.
 */
export function startRestore(ctx: RunContext, payload: Payload, deps: RestoreDeps): CommandData<"startRestore"> {
  assertSafeRunId(payload.runId);
  assertSafeRunId(payload.sourceRunId);
  const datasource = requireDatasource(ctx.store, payload.targetDatasourceId);
  // Refusals that need no slot come first: nothing is recorded for them.
  (deps.restoreTarget ?? restoreTargetFor)(ctx, datasource.engine);
  if (artifactKindToRestore(payload).encrypted) requireIdentity(payload);

  const outcome = ctx.store.transaction((): "start" | "existing" => {
    const same = getRun(ctx.store, payload.runId);
    if (same) {
      if (same.kind !== "restore" || same.datasourceId !== payload.targetDatasourceId || same.sourceRunId !== payload.sourceRunId) {
        throw new HoldfastError("ALREADY_EXISTS", `Run ${payload.runId} already exists on this agent for something else`, { runId: payload.runId });
      }
      return "existing";
    }
    if (ctx.slot.stopping) {
      throw new HoldfastError("AGENT_STOPPING", "The agent is shutting down and takes no new runs", { runId: payload.runId, rule: QUEUE_RULES.stopping });
    }
    const running = findRunningRun(ctx.store);
    const busyWith = running?.runId ?? ctx.slot.runningRunId;
    if (busyWith) {
      throw new HoldfastError("BACKUP_ALREADY_RUNNING", `Run ${busyWith} is running on this agent`, { runId: busyWith, rule: QUEUE_RULES.oneSlot });
    }
    insertQueuedRun(ctx.store, {
      runId: payload.runId,
      datasourceId: payload.targetDatasourceId,
      trigger: "manual",
      scheduleId: null,
      requestedBy: "control-plane",
      kind: "restore",
      sourceRunId: payload.sourceRunId,
    });
    transitionRun(ctx.store, payload.runId, { to: "running" });
    return "start";
  });
  if (outcome === "start") {
    ctx.log.info({ runId: payload.runId, sourceRunId: payload.sourceRunId, datasourceId: payload.targetDatasourceId }, "restore started");
    ctx.slot.launchTask(payload.runId, payload.targetDatasourceId, (c, control) => executeRestore(c, payload, control, deps));
  }
  const run = getRun(ctx.store, payload.runId)!;
  return { runId: run.runId, state: run.state };
}
