import { type AgentRunState, assertTransition, type CommandData, HoldfastError, type RunState } from "@holdfast/shared";
import { and, eq } from "drizzle-orm";
import { askAgent } from "../agents/ask-agent.js";
import type { AppContext } from "../context.js";
import { getRunRow } from "./get-run.js";

export interface CancelRunInput {
  runId: string;
  requestedBy: string;
}

/**
 * Cancels a queued or running run by asking its agent (cancelQueuedBackup or cancelBackup). The
 * answer is the agent's `{runId, state}`; the run view itself changes only when the agent's
 * backupCancelled event arrives. A run the control plane already sees finished is refused with
 * 409 INVALID_STATE_TRANSITION without asking the agent.
 */
export async function cancelRun(ctx: AppContext, input: CancelRunInput): Promise<{ runId: string; state: RunState }> {
  const run = await getRunRow(ctx, input.runId);
  const state = run.state as RunState;
  const log = ctx.log.child({ runId: run.id, agentId: run.agentId, ...(run.scheduleId ? { scheduleId: run.scheduleId } : {}) });

  if (state === "pending") {
    // The control plane's own record of a firing that never reached the agent: nothing to ask.
    const changed = await ctx.database.db
      .update(ctx.database.t.runs)
      .set({ state: "cancelled", finishedAt: ctx.clock.now().getTime(), cancelReason: `cancelled by ${input.requestedBy}` })
      .where(and(eq(ctx.database.t.runs.id, run.id), eq(ctx.database.t.runs.state, "pending")))
      .returning({ id: ctx.database.t.runs.id });
    if (changed[0]) {
      log.info({ requestedBy: input.requestedBy }, "pending run cancelled");
      return { runId: run.id, state: "cancelled" };
    }
    return cancelRun(ctx, input);
  }
  if (state === "missed") throw new HoldfastError("INVALID_STATE_TRANSITION", "A missed run cannot become cancelled", { runId: run.id, from: state, to: "cancelled" });
  assertTransition(state as AgentRunState, "cancelled", run.id);

  log.info({ requestedBy: input.requestedBy, state }, "cancel requested");
  let answer: CommandData<"cancelBackup">;
  if (state === "queued") {
    try {
      answer = await askAgent(ctx, run.agentId, "cancelQueuedBackup", { runId: run.id }, { idempotencyKey: `cancel-queued-${run.id}` });
    } catch (err) {
      // Our view lags the agent's: the run may have left the queue for the slot already.
      if (!(err instanceof HoldfastError && (err.code === "QUEUED_BACKUP_NOT_FOUND" || err.code === "INVALID_STATE_TRANSITION"))) throw err;
      answer = await askAgent(ctx, run.agentId, "cancelBackup", { runId: run.id }, { idempotencyKey: `cancel-${run.id}` });
    }
  } else {
    answer = await askAgent(ctx, run.agentId, "cancelBackup", { runId: run.id }, { idempotencyKey: `cancel-${run.id}` });
  }
  return { runId: run.id, state: answer.state };
}
