import { createHash } from "node:crypto";
import { assertOptionsFitDatasource, HoldfastError, newId, type StartBackupBody } from "@holdfast/shared";
import { and, eq, inArray, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { getDatasource } from "../datasources/get-datasource.js";
import { isDatasourceRefusal, recordedRefusal, recordRefusal, refusalAnswer } from "./refused-run.js";
import { notifyBackupFailed } from "../notifications/producers.js";
import { checkManualRun } from "../blackout/manual-run.js";
import { describeBlackout } from "../blackout/firing-plan.js";
import type { BlackoutSpan } from "../blackout/windows.js";

export interface StartBackupInput {
  datasourceId: string;
  body: StartBackupBody;
  requestedBy: string;
}

/**
 * Starts a manual backup (docs/link.md §7.1): records the run and its pending deliveries, asks the
 * agent, and answers with the run id once the agent accepted. The same idempotency key for the same
 * datasource returns the run it created before instead of starting another. A refusal for a reason
 * of the datasource (refused-run.ts) stays recorded as a failed run, named in the error's
 * `details.runId`; any other refusal leaves no record. Inside a blackout window of the datasource's
 * agent (or of `scheduleId`) it is 409 BLACKOUT_WINDOW unless `force`; `forced` is then the window.
 */
export async function startBackup(ctx: AppContext, input: StartBackupInput): Promise<{ runId: string; created: boolean; forced?: BlackoutSpan }> {
  const { body } = input;
  const datasource = await getDatasource(ctx, input.datasourceId);
  assertOptionsFitDatasource(datasource.engine, datasource.connection, body.options);
  const { db, t } = ctx.database;
  const destinationIds = [...new Set(body.destinationIds)];
  const found = await db
    .select({ id: t.destinations.id })
    .from(t.destinations)
    .where(and(inArray(t.destinations.id, destinationIds), isNull(t.destinations.deletedAt)));
  const missing = destinationIds.filter((id) => !found.some((f) => f.id === id));
  if (missing.length > 0) throw new HoldfastError("DESTINATION_NOT_FOUND", `No destination ${missing.join(", ")}`, { destinationIds: missing });

  const idempotencyKey = body.idempotencyKey ?? newId("idem");
  // The request as sent (destinations in their order, repeats included): a replay must match it exactly.
  // Options are part of the request; without them the hash is what it always was, so older keys still match.
  const hashed = body.options === undefined ? { destinationIds: body.destinationIds } : { destinationIds: body.destinationIds, options: body.options };
  const requestHash = createHash("sha256").update(JSON.stringify(hashed)).digest("hex");
  const existing = await findByKey(ctx, datasource.id, idempotencyKey);
  if (existing) return replay(ctx, existing, requestHash, destinationIds);
  const forced = await checkManualRun(ctx, { datasourceId: datasource.id, agentId: datasource.agentId, scheduleId: body.scheduleId }, body.force === true);
  if (!ctx.link.isOnline(datasource.agentId)) {
    throw new HoldfastError("AGENT_OFFLINE", `Agent ${datasource.agentId} is not connected`, { agentId: datasource.agentId });
  }

  const now = ctx.clock.now().getTime();
  const runId = newId("run");
  const inserted = await db
    .insert(t.runs)
    .values({
      id: runId,
      kind: "backup",
      trigger: "manual",
      agentId: datasource.agentId,
      datasourceId: datasource.id,
      state: "queued",
      requestedBy: input.requestedBy,
      idempotencyKey,
      requestHash,
      options: body.options === undefined ? null : JSON.stringify(body.options),
      queuedAt: now,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: t.runs.id });
  if (!inserted[0]) {
    // A concurrent request with the same key won the insert.
    const winner = await findByKey(ctx, datasource.id, idempotencyKey);
    if (winner) return replay(ctx, winner, requestHash, destinationIds);
    throw new HoldfastError("INTERNAL_ERROR", "Could not record the run");
  }
  await db
    .insert(t.deliveries)
    .values(destinationIds.map((destinationId) => ({ id: newId("dlv"), runId, destinationId, state: "pending", attempts: 0, updatedAt: now })));

  try {
    await ctx.link.sendCommand(
      datasource.agentId,
      "startBackup",
      { runId, datasourceId: datasource.id, trigger: "manual", requestedBy: input.requestedBy, ...(body.options ? { options: body.options } : {}) },
      // The run id is the key: a resend of this very command can never start a second backup.
      { idempotencyKey: runId },
    );
    // The answer's state is not written: the run view moves only with the agent's events
    // (backupQueued, backupStarted, ...), which arrive in order and survive a reconnect.
    ctx.log.info({ runId, agentId: datasource.agentId, datasourceId: datasource.id }, "backup accepted by the agent");
    if (forced) ctx.log.warn({ runId, datasourceId: datasource.id, window: describeBlackout(forced.hit).text }, "backup forced inside a blackout window");
  } catch (err) {
    if (isDatasourceRefusal(err)) {
      await recordRefusal(ctx, runId, err);
      await notifyBackupFailed(ctx, { id: runId, datasourceId: datasource.id }, err.toBody());
      ctx.log.warn({ runId, agentId: datasource.agentId, datasourceId: datasource.id, code: err.code }, "backup refused by the agent; recorded as failed");
      throw refusalAnswer(err.toBody(), runId);
    }
    // On a timeout the agent may have started the backup after all: keep the run so its events
    // find it. Any other failure means the agent did not take it, so the records go.
    if (!(err instanceof HoldfastError && err.code === "AGENT_TIMEOUT")) await dropRun(ctx, runId);
    throw err;
  }
  return forced ? { runId, created: true, forced } : { runId, created: true };
}

async function findByKey(ctx: AppContext, datasourceId: string, key: string) {
  const { db, t } = ctx.database;
  const rows = await db
    .select({ id: t.runs.id, requestHash: t.runs.requestHash, state: t.runs.state, queuedAt: t.runs.queuedAt, error: t.runs.error })
    .from(t.runs)
    .where(and(eq(t.runs.datasourceId, datasourceId), eq(t.runs.idempotencyKey, key)))
    .limit(1);
  return rows[0];
}

/**
 * The answer to a repeat of an idempotency key: the run it created, if the request is the same, or
 * the refusal it got. The stored hash is written with the run row itself, so a retry racing the
 * first request (before its deliveries exist) is still recognised; runs recorded before the hash
 * existed compare deliveries.
 */
async function replay(ctx: AppContext, run: NonNullable<Awaited<ReturnType<typeof findByKey>>>, requestHash: string, destinationIds: string[]) {
  let same: boolean;
  if (run.requestHash !== null) same = run.requestHash === requestHash;
  else {
    const { db, t } = ctx.database;
    const earlier = await db.select({ destinationId: t.deliveries.destinationId }).from(t.deliveries).where(eq(t.deliveries.runId, run.id));
    same = earlier.length === destinationIds.length && earlier.every((d) => destinationIds.includes(d.destinationId));
  }
  if (!same) throw new HoldfastError("IDEMPOTENCY_KEY_REUSED", "This idempotency key was used for another backup request", { runId: run.id });
  const refused = recordedRefusal(run);
  if (refused) throw refusalAnswer(refused, run.id);
  return { runId: run.id, created: false };
}

async function dropRun(ctx: AppContext, runId: string): Promise<void> {
  const { db, t } = ctx.database;
  await db.delete(t.deliveries).where(eq(t.deliveries.runId, runId));
  await db.delete(t.runs).where(eq(t.runs.id, runId));
}
