import { assertTransition, HoldfastError, type CommandData } from "@holdfast/shared/protocol";
import { getRun, requireRun } from "./run-record.js";
import { transitionRun } from "./transitions.js";
import type { RunContext } from "../runs/context.js";
import { getExecutionStatus } from "./execution-status.js";
import { removeRunFolder } from "../staging/run-folders.js";

export const CANCEL_REASON = "cancelled by the control plane";

/**
 * cancelBackup: stops the running run (the dump's process group is killed, staging removed) and
 * answers once it is `cancelled`. A queued run: 409 BACKUP_NOT_RUNNING (use cancelQueuedBackup); a
 * finished one: the state machine's 409 INVALID_STATE_TRANSITION. If the run finished on its own
 * before the kill landed, that outcome stands and the answer is the same 409.
 */
export async function cancelBackup(ctx: RunContext, runId: string, reason: string = CANCEL_REASON): Promise<CommandData<"cancelBackup">> {
  const run = requireRun(ctx.store, runId);
  if (run.state === "queued") {
    throw new HoldfastError("BACKUP_NOT_RUNNING", `Run ${runId} is queued, not running: cancel it with cancelQueuedBackup`, { runId, state: run.state });
  }
  if (run.state !== "running") assertTransition(run.state, "cancelled", runId);
  const handled = await ctx.slot.cancel(runId, reason);
  if (!handled) {
    // `running` in the database but not in this process's slot (cannot normally happen: start-up
    // closes such runs). Close it here so it does not hold the slot forever.
    removeRunFolder(ctx.stagingRoot, runId);
    transitionRun(ctx.store, runId, { to: "cancelled", reason });
    ctx.slot.startNext();
  }
  const after = requireRun(ctx.store, runId);
  if (after.state !== "cancelled") assertTransition(after.state, "cancelled", runId);
  return getExecutionStatus(ctx.store, runId);
}

/**
 * cancelQueuedBackup: a queued run ends `cancelled` and never starts. Unknown or running:
 * 404 QUEUED_BACKUP_NOT_FOUND; already finished: 409 INVALID_STATE_TRANSITION.
 */
export function cancelQueuedBackup(ctx: RunContext, runId: string, reason: string = CANCEL_REASON): CommandData<"cancelQueuedBackup"> {
  const run = getRun(ctx.store, runId);
  if (!run || run.state === "running") {
    throw new HoldfastError("QUEUED_BACKUP_NOT_FOUND", run ? `Run ${runId} is running, not queued: cancel it with cancelBackup` : `No queued run ${runId}`, {
      runId,
      ...(run ? { state: run.state } : {}),
    });
  }
  transitionRun(ctx.store, runId, { to: "cancelled", reason: `${reason} (removed from the queue)` });
  ctx.log.info({ runId, scheduleId: run.scheduleId }, "queued run cancelled");
  return getExecutionStatus(ctx.store, runId);
}
