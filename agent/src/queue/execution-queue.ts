import type { CommandData } from "@holdfast/shared/protocol";
import { findRunningRun, listQueuedRuns } from "./queue-queries.js";
import type { RunContext } from "../runs/context.js";

/** getExecutionQueue: the running run and the queue in FIFO order, each with its 1-based position and expiry. */
export function getExecutionQueue(ctx: RunContext): CommandData<"getExecutionQueue"> {
  const running = findRunningRun(ctx.store);
  const queued = listQueuedRuns(ctx.store).map((r, i) => ({
    runId: r.runId,
    datasourceId: r.datasourceId,
    scheduleId: r.scheduleId,
    trigger: r.trigger,
    requestedBy: r.requestedBy,
    queuedAt: r.queuedAt,
    position: i + 1,
    expiresAt: r.queueExpiresAt ?? new Date(Date.parse(r.queuedAt) + ctx.limits.queueTtlMs).toISOString(),
  }));
  return {
    running: running ? { runId: running.runId, datasourceId: running.datasourceId, trigger: running.trigger, startedAt: running.startedAt ?? running.queuedAt } : null,
    queued,
    maxQueueSize: ctx.limits.maxQueueSize,
  };
}
