import { type ErrorBody, type ErrorCode, HoldfastError } from "@holdfast/shared";
import { and, eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { failDeliveries } from "../deliveries/fail-deliveries.js";

/**
 * The agent's refusals of a manual backup that say something about the datasource (its database,
 * credentials, tools or disk): the attempt is recorded as a failed run, so the run list and the
 * success rate show that a backup was tried and why it did not happen. Refusals that say nothing
 * about the datasource (busy, offline, stopping, a malformed request) record nothing.
 */
const DATASOURCE_REASONS: ReadonlySet<ErrorCode> = new Set([
  "DATABASE_AUTH_FAILED",
  "DATABASE_NOT_FOUND",
  "DATABASE_UNREACHABLE",
  "PRECONDITION_FAILED",
  "TOOL_NOT_FOUND",
]);

export function isDatasourceRefusal(err: unknown): err is HoldfastError {
  return err instanceof HoldfastError && DATASOURCE_REASONS.has(err.code);
}

/** The refusal as answered to the caller: the agent's error, its details plus the recorded run's id. */
export function refusalAnswer(error: ErrorBody, runId: string): HoldfastError {
  return new HoldfastError(error.code, error.message, { ...error.details, runId }, error.retryable);
}

/**
 * Ends a run the agent refused as `failed` with the agent's error, and fails its deliveries: there
 * will be no artifact. `queuedAt` goes back to null (the agent never took it), which is how a replay
 * of the same idempotency key knows to answer the same refusal instead of 202.
 */
export async function recordRefusal(ctx: DbContext, runId: string, err: HoldfastError): Promise<void> {
  const { db, t } = ctx.database;
  await db
    .update(t.runs)
    .set({ state: "failed", error: JSON.stringify(err.toBody()), queuedAt: null, finishedAt: ctx.clock.now().getTime() })
    .where(and(eq(t.runs.id, runId), eq(t.runs.state, "queued")));
  await failDeliveries(ctx, runId, new HoldfastError("DELIVERY_FAILED", "The agent refused the backup; there is no artifact to deliver", undefined, false));
}

/** The refusal a run recorded, if it is one: a failed run the agent never took. */
export function recordedRefusal(run: { state: string; queuedAt: number | null; error: string | null }): ErrorBody | null {
  if (run.state !== "failed" || run.queuedAt !== null || run.error === null) return null;
  return JSON.parse(run.error) as ErrorBody;
}
