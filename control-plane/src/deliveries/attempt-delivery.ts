import type { Readable } from "node:stream";
import { type DestinationType, type ErrorBody, HoldfastError } from "@holdfast/shared";
import { and, eq, isNull, lt, lte, or, sql } from "drizzle-orm";
import { type HeldArtifact, openHeldArtifact } from "../artifacts/locate-artifact.js";
import type { CapLease } from "../bandwidth/transfer-caps.js";
import { exists, spooledPath } from "../artifacts/spool.js";
import type { AppContext } from "../context.js";
import type { Tables } from "../db/index.js";
import { findDestinationRow, fullConfig } from "../destinations/destination-rows.js";
import { openDestination } from "../destinations/open-destination.js";
import type { Destination } from "../destinations/types.js";
import { metrics } from "../metrics/process-series.js";
import { notifyDeliveryCompleted, notifyDeliveryFailed } from "../notifications/producers.js";
import { getRunRow, type ArtifactMeta, type RunRow } from "../runs/get-run.js";
import { artifactObjectName, objectsOf } from "./object-name.js";
import { assertWithinQuota } from "./quota.js";
import { backoffAfter, type DeliveryPolicy } from "./retry-policy.js";
import { writeArtifact } from "./write-artifact.js";

export type DeliveryContext = Pick<AppContext, "database" | "clock" | "env" | "log" | "secrets" | "notifications" | "bandwidth">;
export type DeliveryRow = Tables["deliveries"]["$inferSelect"];
export type AttemptOutcome = "completed" | "retrying" | "failed" | "interrupted";

/**
 * Takes a delivery for one try, in one statement: a pending one whose wait is over, or a running one
 * whose lease lapsed (its process died mid-write). Null when another worker has it or it is not due.
 */
export async function claimDelivery(ctx: DeliveryContext, id: string, leaseMs: number): Promise<DeliveryRow | null> {
  const { db, t } = ctx.database;
  const now = ctx.clock.now().getTime();
  const d = t.deliveries;
  const rows = await db
    .update(d)
    .set({ state: "running", attempts: sql`${d.attempts} + 1`, startedAt: now, nextAttemptAt: null, updatedAt: now })
    .where(
      and(
        eq(d.id, id),
        or(and(eq(d.state, "pending"), or(isNull(d.nextAttemptAt), lte(d.nextAttemptAt, now))), and(eq(d.state, "running"), lt(d.updatedAt, now - leaseMs))),
      ),
    )
    .returning();
  return rows[0] ?? null;
}

function errorBodyOf(err: unknown): ErrorBody {
  if (err instanceof HoldfastError) return err.toBody();
  return { code: "DELIVERY_FAILED", message: err instanceof Error ? err.message : String(err), retryable: true };
}

export interface AttemptHooks {
  /** True once the worker is closing: a try cut by the shutdown goes back to pending, uncounted. */
  closing(): boolean;
  onStream(stream: Readable): void;
}

/**
 * One try of a claimed delivery: quota, then the artifact (or its parts) and its sidecar, then the
 * record. A failure waits `backoffAfter(attempts)` as `pending` with `nextAttemptAt`, or ends as
 * `failed` with the error once the tries are used up or the error is not retryable; the objects a
 * failed delivery may have half written are removed, so retention and quotas never meet them.
 */
export async function attemptDelivery(ctx: DeliveryContext, claimed: DeliveryRow, policy: DeliveryPolicy, hooks: AttemptHooks): Promise<AttemptOutcome> {
  const { db, t } = ctx.database;
  const started = ctx.clock.now().getTime();
  const log = ctx.log.child({ runId: claimed.runId, destinationId: claimed.destinationId, deliveryId: claimed.id, attempt: claimed.attempts });
  // The lease: touched while the try runs, so no other worker takes it over.
  const heartbeat = setInterval(() => {
    void db
      .update(t.deliveries)
      .set({ updatedAt: ctx.clock.now().getTime() })
      .where(and(eq(t.deliveries.id, claimed.id), eq(t.deliveries.state, "running")))
      .catch(() => {});
  }, Math.max(10, Math.floor(policy.leaseMs / 3)));
  heartbeat.unref();

  let destination: Destination | undefined;
  let objectName: string | undefined;
  let parts: ArtifactMeta["parts"];
  let held: HeldArtifact | null = null;
  let cap: CapLease | undefined;
  try {
    const run = await getRunRow(ctx, claimed.runId);
    const row = await findDestinationRow(ctx, claimed.destinationId);
    const engine = (await db.select({ engine: t.datasources.engine }).from(t.datasources).where(eq(t.datasources.id, run.datasourceId)).limit(1))[0]?.engine ?? null;
    await assertWithinQuota(ctx, { destinationId: row.id, maxSizeGb: row.maxSizeGb, deliveryId: claimed.id, bytes: run.sizeBytes ?? 0 });
    objectName = artifactObjectName(run);
    parts = run.artifactMeta ? (JSON.parse(run.artifactMeta) as ArtifactMeta).parts : undefined;
    const spoolPath = spooledPath(ctx.env.spoolDir, run.id);
    held = (await exists(spoolPath)) ? null : await copySource(ctx, run);
    destination = openDestination(row.type as DestinationType, fullConfig(ctx.secrets, row), ctx.env);
    // The destination's cap as stored now; a change reaches this delivery while it writes.
    cap = await ctx.bandwidth.lease(`destination:${row.id}`);
    const { path, bytes, lockedUntil } = await writeArtifact({ destination, run, engine, objectName, spoolPath, ...(held ? { held } : {}), onStream: hooks.onStream, throttle: cap.throttle });
    const now = ctx.clock.now().getTime();
    await db
      .update(t.deliveries)
      .set({ state: "completed", path, bytes, lockedUntil: lockedUntil?.getTime() ?? null, error: null, nextAttemptAt: null, durationMs: now - started, updatedAt: now })
      .where(eq(t.deliveries.id, claimed.id));
    log.info({ path, bytes, ms: now - started, ...(lockedUntil ? { lockedUntil: lockedUntil.toISOString() } : {}) }, "artifact delivered");
    metrics.transferBytes.inc({ direction: "to_destination" }, bytes);
    await notifyDeliveryCompleted(ctx, claimed.destinationId);
    return "completed";
  } catch (err) {
    const error = errorBodyOf(err);
    const now = ctx.clock.now().getTime();
    if (hooks.closing()) {
      await db
        .update(t.deliveries)
        .set({ state: "pending", attempts: claimed.attempts - 1, nextAttemptAt: null, updatedAt: now })
        .where(eq(t.deliveries.id, claimed.id));
      log.info("delivery cut by the shutdown; it resumes at the next start");
      return "interrupted";
    }
    const final = claimed.attempts >= policy.attempts || !error.retryable;
    const nextAttemptAt = final ? null : now + backoffAfter(claimed.attempts, policy.backoffMs);
    // Removed before the row says failed, so whoever reads `failed` finds nothing half written.
    if (final && destination && objectName) await removeObjects(destination, objectsOf(objectName, parts), log);
    await db
      .update(t.deliveries)
      .set({ state: final ? "failed" : "pending", error: JSON.stringify(error), nextAttemptAt, durationMs: now - started, updatedAt: ctx.clock.now().getTime() })
      .where(eq(t.deliveries.id, claimed.id));
    if (final) {
      log.error({ err: error, attempts: claimed.attempts }, "delivery failed; giving up");
      await notifyDeliveryFailed(ctx, claimed, error);
    } else {
      log.warn({ err: error, retryAt: new Date(nextAttemptAt!).toISOString() }, "delivery attempt failed; retrying later");
    }
    return final ? "failed" : "retrying";
  } finally {
    cap?.release();
    clearInterval(heartbeat);
    await held?.close();
  }
}

/**
 * Where a delivery reads when the spool copy is gone (a copy to another destination asked for
 * after the first deliveries ended, or a failed delivery tried again): a destination holding a
 * live copy, the same one a restore would read. Retryable when none answers now.
 */
async function copySource(ctx: DeliveryContext, run: RunRow): Promise<HeldArtifact> {
  const held = await openHeldArtifact(ctx, run);
  if (held?.source === "destination") return held;
  await held?.close();
  throw new HoldfastError("ARTIFACT_NOT_FOUND", `No readable copy of run ${run.id} was found to copy from (spool copy gone, no destination holds it whole)`, { runId: run.id }, true);
}

/** Best effort: a destination that is down now keeps what it had; nothing is recorded as written. */
async function removeObjects(destination: Destination, names: string[], log: DeliveryContext["log"]): Promise<void> {
  for (const name of names) {
    await destination.delete(name).catch((err: unknown) => log.warn({ name, err: errorBodyOf(err) }, "could not remove a partly delivered object"));
  }
}
