import { type BackupOptions, type ErrorCode, HoldfastError, toErrorBody } from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { missingDestinations } from "../schedules/check-targets.js";
import type { Schedule } from "../schedules/schedule-rows.js";
import { closeUnsent, ensureDeliveries, type RunRow } from "./run-records.js";
import { notifyBackupFailed } from "../notifications/producers.js";

export type DispatchContext = Pick<AppContext, "database" | "clock" | "log" | "link" | "notifications">;

/** Answers after which the agent may not have the run yet, but will take it when asked again. */
const NOT_YET: ReadonlySet<ErrorCode> = new Set(["AGENT_OFFLINE", "AGENT_TIMEOUT", "AGENT_STOPPING"]);

/**
 * Sends a `pending` scheduled run to its agent. The link's idempotency key is the firing key and the
 * payload is built from the run row alone, so a second send (a retry after a timeout, a restart,
 * another replica) gets the first one's answer from the agent instead of a second backup.
 * - accepted: `pending` → `queued`, `queuedAt` the time it was sent (a manual run's is the time it
 *   was recorded and sent); when the agent's events moved the run first (it started at once and
 *   said so before its answer arrived), only `queuedAt` is filled in;
 * - the agent answers another run id: it coalesced this firing into the schedule's run already
 *   waiting in its queue (agent/src/queue/README.md), so this record ends `cancelled`, saying which;
 * - offline, timeout, stopping: the run stays `pending` for the next sweep or the reconnect;
 * - any other refusal (queue full, precondition failed...): `failed` with the agent's error, which
 *   the retry rules then read like any failure.
 */
export async function dispatchRun(ctx: DispatchContext, run: RunRow, schedule: Schedule): Promise<void> {
  const log = ctx.log.child({ runId: run.id, scheduleId: schedule.id, agentId: run.agentId });
  // The destinations the schedule names when the run is sent; deleted ones take no new deliveries.
  const gone = await missingDestinations(ctx, schedule.destinationIds);
  if (gone.length > 0) log.warn({ destinationIds: gone }, "schedule names deleted destinations; the run skips them");
  await ensureDeliveries(
    ctx,
    run.id,
    schedule.destinationIds.filter((id) => !gone.includes(id)),
  );

  const options = run.options === null ? undefined : (JSON.parse(run.options) as BackupOptions);
  let answeredRunId: string;
  const sentAt = ctx.clock.now().getTime();
  try {
    const answer = await ctx.link.sendCommand(
      run.agentId,
      "startBackup",
      {
        runId: run.id,
        datasourceId: run.datasourceId,
        trigger: "schedule",
        scheduleId: schedule.id,
        requestedBy: run.requestedBy ?? `schedule:${schedule.id}`,
        ...(options ? { options } : {}),
      },
      { idempotencyKey: run.idempotencyKey },
    );
    answeredRunId = answer.runId;
  } catch (err) {
    if (err instanceof HoldfastError && NOT_YET.has(err.code)) {
      log.info({ code: err.code }, "agent did not take the scheduled run yet; it stays pending");
      return;
    }
    const error = toErrorBody(err);
    if (!(err instanceof HoldfastError)) log.error({ err }, "could not send the scheduled run");
    // A refusal is a failed backup like any other: "backup failed" is sent for it too.
    if ((await closeUnsent(ctx, [run.id], "failed", { error: JSON.stringify(error) })).length > 0) await notifyBackupFailed(ctx, run, error);
    log.warn({ code: error.code, retryable: error.retryable }, "agent refused the scheduled run");
    return;
  }

  if (answeredRunId !== run.id) {
    await closeUnsent(ctx, [run.id], "cancelled", { cancelReason: `coalesced into run ${answeredRunId}` });
    log.info({ into: answeredRunId }, "scheduled run coalesced into the one already queued on the agent");
    return;
  }
  const { db, t } = ctx.database;
  const moved = await db
    .update(t.runs)
    .set({ state: "queued", queuedAt: sentAt })
    .where(and(eq(t.runs.id, run.id), eq(t.runs.state, "pending")))
    .returning({ id: t.runs.id });
  if (moved.length === 0) {
    const [now] = await db.select({ state: t.runs.state }).from(t.runs).where(eq(t.runs.id, run.id));
    if (now?.state === "cancelled" || now?.state === "missed") return withdraw(ctx, run.id, run.agentId, now.state, log);
    await db
      .update(t.runs)
      .set({ queuedAt: sentAt })
      .where(and(eq(t.runs.id, run.id), isNull(t.runs.queuedAt)));
  }
  log.info({ movedToQueued: moved.length > 0 }, "scheduled run accepted by the agent");
}

/**
 * The run was closed here (a pause, a delete, a cancel, a sweep) while its startBackup was in flight,
 * and the agent took it: take it back, from the agent's queue or its slot, so the record that says
 * `cancelled` is what happened. An agent that cannot be reached then keeps it: logged.
 */
async function withdraw(ctx: DispatchContext, runId: string, agentId: string, state: string, log: DispatchContext["log"]): Promise<void> {
  log.warn({ state }, "the agent took a scheduled run closed while it was being sent; withdrawing it");
  try {
    await ctx.link.sendCommand(agentId, "cancelQueuedBackup", { runId }, { idempotencyKey: `cancel-queued-${runId}` });
    return;
  } catch (err) {
    // Already left the queue for the slot: stop it there.
    if (!(err instanceof HoldfastError && (err.code === "QUEUED_BACKUP_NOT_FOUND" || err.code === "INVALID_STATE_TRANSITION"))) {
      log.error({ code: err instanceof HoldfastError ? err.code : String(err) }, "could not withdraw the run from the agent");
      return;
    }
  }
  await ctx.link
    .sendCommand(agentId, "cancelBackup", { runId }, { idempotencyKey: `cancel-${runId}` })
    .catch((err: unknown) => log.error({ code: err instanceof HoldfastError ? err.code : String(err) }, "could not withdraw the run from the agent"));
}
