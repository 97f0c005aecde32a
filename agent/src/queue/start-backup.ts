import { assertOptionsFitDatasource, HoldfastError, isWholeServer, resolveBackupOptions, type CommandData, type CommandPayload } from "@holdfast/shared/protocol";
import { requireDatasource } from "../store/datasources.js";
import { appendEvent } from "../store/outbox.js";
import { findRunningRun, listQueuedRuns, queuedPosition, findQueuedBySchedule } from "./queue-queries.js";
import { getRun, type RunRecord } from "./run-record.js";
import { insertQueuedRun, transitionRun } from "./transitions.js";
import type { RunContext } from "../runs/context.js";
import { getExecutionStatus } from "./execution-status.js";
import { assertPreflightPassed, preflight, type PreflightSeen } from "../runs/preflight.js";
import { assertSafeRunId } from "../staging/run-folders.js";

type StartPayload = CommandPayload<"startBackup">;

/** The rules of queue/README.md, quoted in the refusals' details so an operator sees why. */
export const QUEUE_RULES = {
  oneSlot: "One slot per agent: a manual start while a run holds it is refused; only schedule firings queue (FIFO).",
  maxQueueSize: "Schedule firings queue up to maxQueueSize (HOLDFAST_MAX_QUEUE_SIZE); beyond it they are refused.",
  stopping: "A stopping agent takes no new runs; queued runs stay queued for the next start.",
} as const;
type Decision = { kind: "start" } | { kind: "queue" } | { kind: "existing"; run: RunRecord };

/**
 * The queue policy (queue/README.md), decided synchronously so that, run inside one transaction, two
 * starts can never both take the slot. Throws the catalog error for a refusal.
 */
function decide(ctx: RunContext, payload: StartPayload): Decision {
  if (ctx.slot.stopping) {
    throw new HoldfastError("AGENT_STOPPING", "The agent is shutting down and takes no new runs", { runId: payload.runId, rule: QUEUE_RULES.stopping });
  }
  const same = getRun(ctx.store, payload.runId);
  if (same) {
    if (same.datasourceId !== payload.datasourceId) {
      throw new HoldfastError("ALREADY_EXISTS", `Run ${payload.runId} already exists on this agent for another datasource`, { runId: payload.runId });
    }
    return { kind: "existing", run: same };
  }
  if (payload.trigger === "schedule" && payload.scheduleId) {
    const waiting = findQueuedBySchedule(ctx.store, payload.scheduleId);
    if (waiting) return { kind: "existing", run: waiting };
  }
  const running = findRunningRun(ctx.store);
  if (payload.trigger === "manual") {
    if (running) {
      throw new HoldfastError("BACKUP_ALREADY_RUNNING", `Backup ${running.runId} is running on this agent`, { runId: running.runId, rule: QUEUE_RULES.oneSlot });
    }
    // A manual run never waits behind the queue.
    return { kind: "start" };
  }
  const queued = listQueuedRuns(ctx.store).length;
  if (!running && queued === 0) return { kind: "start" };
  if (queued >= ctx.limits.maxQueueSize) {
    throw new HoldfastError("QUEUE_OVERFLOW", `The agent's queue is full (${queued} of ${ctx.limits.maxQueueSize})`, {
      maxQueueSize: ctx.limits.maxQueueSize,
      queueLength: queued,
      ...(running ? { runningRunId: running.runId } : {}),
      rule: QUEUE_RULES.maxQueueSize,
    });
  }
  return { kind: "queue" };
}

/**
 * startBackup: the policy is checked (cheap refusals first), then the preflight (503
 * PRECONDITION_FAILED on a blocking issue), then, in one transaction, the policy again and the run
 * inserted as running or queued. Answers the run's execution status.
 */
export async function startBackup(ctx: RunContext, payload: StartPayload): Promise<CommandData<"startBackup">> {
  assertSafeRunId(payload.runId);
  const datasource = requireDatasource(ctx.store, payload.datasourceId);
  assertOptionsFitDatasource(datasource.engine, datasource.connection, payload.options);
  const early = decide(ctx, payload);
  if (early.kind === "existing") return getExecutionStatus(ctx.store, early.run.runId);

  const options = resolveBackupOptions(payload.options, datasource.engine, isWholeServer(datasource.connection));
  const seen: PreflightSeen = {};
  assertPreflightPassed(payload.datasourceId, await preflight(ctx, payload.datasourceId, options, seen));

  const outcome = ctx.store.transaction((): Decision => {
    const decision = decide(ctx, payload);
    if (decision.kind === "existing") return decision;
    insertQueuedRun(ctx.store, {
      runId: payload.runId,
      datasourceId: payload.datasourceId,
      trigger: payload.trigger,
      scheduleId: payload.scheduleId ?? null,
      requestedBy: payload.requestedBy,
      options,
      queueExpiresAt: decision.kind === "queue" ? new Date(ctx.clock.now().getTime() + ctx.limits.queueTtlMs).toISOString() : null,
    });
    if (decision.kind === "start") {
      transitionRun(ctx.store, payload.runId, { to: "running" });
    } else {
      appendEvent(ctx.store, "backupQueued", payload.runId, {
        datasourceId: payload.datasourceId,
        trigger: payload.trigger,
        scheduleId: payload.scheduleId ?? null,
        queuedPosition: queuedPosition(ctx.store, payload.runId) ?? 1,
      });
    }
    return decision;
  });
  const log = ctx.log.child({ runId: payload.runId, ...(payload.scheduleId ? { scheduleId: payload.scheduleId } : {}) });
  switch (outcome.kind) {
    case "existing":
      log.info({ existingRunId: outcome.run.runId }, "start answered with an existing run (same runId, or the schedule's firing already queued)");
      return getExecutionStatus(ctx.store, outcome.run.runId);
    case "start":
      log.info({ trigger: payload.trigger }, "backup started");
      ctx.slot.launch(payload.runId, payload.datasourceId, { preflighted: true, scheduleId: payload.scheduleId ?? null, ...(seen.server ? { server: seen.server } : {}) });
      break;
    case "queue":
      log.info({ trigger: payload.trigger }, "backup queued");
      ctx.sweeper.poke();
      ctx.slot.startNext();
      break;
  }
  return getExecutionStatus(ctx.store, payload.runId);
}
