import { createHash } from "node:crypto";
import { type BackupOptions, type ErrorBody, newId } from "@holdfast/shared";
import { and, eq, inArray } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";
import { firingIdempotencyKey } from "./firing-key.js";

export type RunRow = Tables["runs"]["$inferSelect"];
type RunUpdate = Partial<Tables["runs"]["$inferInsert"]>;

export interface ScheduledRunInput {
  scheduleId: string;
  datasourceId: string;
  agentId: string;
  fireTime: Date;
  attempt: number;
  retryOf?: string | undefined;
  options: BackupOptions | undefined;
  /** `pending` until the agent accepts it; `missed` when it is recorded too late to send. */
  state: "pending" | "missed";
  error?: ErrorBody | undefined;
}

/** Who asked for a scheduled run, as the agent and the run view show it. */
export const requestedByOf = (scheduleId: string) => `schedule:${scheduleId}`;

/**
 * Records one attempt of one firing, once. Its idempotency key derives from schedule, fire time and
 * attempt, and (datasource, key) is unique: a second replica, or this process after a restart,
 * computing the same firing inserts nothing. Returns the new run's id, or undefined if it existed.
 */
export async function recordScheduledRun(ctx: DbContext, input: ScheduledRunInput): Promise<string | undefined> {
  const now = ctx.clock.now().getTime();
  const { db, t } = ctx.database;
  const inserted = await db
    .insert(t.runs)
    .values({
      id: newId("run"),
      kind: "backup",
      trigger: "schedule",
      agentId: input.agentId,
      datasourceId: input.datasourceId,
      state: input.state,
      requestedBy: requestedByOf(input.scheduleId),
      idempotencyKey: firingIdempotencyKey(input.scheduleId, input.fireTime, input.attempt),
      scheduleId: input.scheduleId,
      fireTime: input.fireTime.getTime(),
      attempt: input.attempt,
      retryOf: input.retryOf ?? null,
      options: input.options === undefined ? null : JSON.stringify(input.options),
      finishedAt: input.state === "missed" ? now : null,
      error: input.error ? JSON.stringify(input.error) : null,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: t.runs.id });
  return inserted[0]?.id;
}

/**
 * The run's pending deliveries, one per destination, created before the run is sent (as a manual
 * backup's are). Their ids derive from run and destination, so sending again after a crash or from
 * another replica adds none.
 */
export async function ensureDeliveries(ctx: DbContext, runId: string, destinationIds: string[]): Promise<void> {
  if (destinationIds.length === 0) return;
  const now = ctx.clock.now().getTime();
  const { db, t } = ctx.database;
  const id = (destinationId: string) => `dlv_${createHash("sha256").update(`${runId}\0${destinationId}`).digest("hex").slice(0, 32)}`;
  await db
    .insert(t.deliveries)
    .values(destinationIds.map((destinationId) => ({ id: id(destinationId), runId, destinationId, state: "pending", attempts: 0, updatedAt: now })))
    .onConflictDoNothing();
}

/**
 * Ends runs the agent never took (still `pending`) as missed, cancelled or failed, and fails their
 * waiting deliveries as event ingestion does for a run without an artifact. Conditional on
 * `pending`, so a run the agent's events moved meanwhile is left alone. Returns the ids changed.
 */
export async function closeUnsent(ctx: DbContext, runIds: string[], to: "missed" | "cancelled" | "failed", set: RunUpdate): Promise<string[]> {
  if (runIds.length === 0) return [];
  const now = ctx.clock.now().getTime();
  const { db, t } = ctx.database;
  const changed = await db
    .update(t.runs)
    .set({ ...set, state: to, finishedAt: now })
    .where(and(inArray(t.runs.id, runIds), eq(t.runs.state, "pending")))
    .returning({ id: t.runs.id });
  const ids = changed.map((c) => c.id);
  if (ids.length > 0) {
    const error = { code: "DELIVERY_FAILED", message: `The run ${to === "cancelled" ? "was cancelled" : to === "missed" ? "was missed" : "failed"}; there is no artifact to deliver`, retryable: false };
    await db
      .update(t.deliveries)
      .set({ state: "failed", error: JSON.stringify(error), updatedAt: now })
      .where(and(inArray(t.deliveries.runId, ids), eq(t.deliveries.state, "pending")));
  }
  return ids;
}

/** A paused or deleted schedule's firings still waiting for their agent: cancelled, never sent. */
export async function dropPendingRuns(ctx: DbContext, scheduleId: string, reason: string): Promise<void> {
  const { db, t } = ctx.database;
  const pending = await db
    .select({ id: t.runs.id })
    .from(t.runs)
    .where(and(eq(t.runs.scheduleId, scheduleId), eq(t.runs.state, "pending")));
  await closeUnsent(
    ctx,
    pending.map((p) => p.id),
    "cancelled",
    { cancelReason: reason },
  );
}

/** The FIRING_MISSED error a missed run carries, with why. */
export function missedError(reason: "late" | "agent-offline" | "superseded" | "blackout", message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { code: "FIRING_MISSED", message, retryable: false, details: { reason, ...details } };
}
