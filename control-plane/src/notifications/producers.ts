import type { ErrorBody } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { closeCondition, notify, type NotifyContext } from "./notify.js";

/**
 * The notifications of today's producers, one call each at the place where the fact becomes true.
 * Condition keys: one open "backup failed" per datasource until a backup of it completes, one open
 * "delivery failed" per destination until a delivery to it completes.
 */

async function datasourceName(ctx: Pick<AppContext, "database">, id: string): Promise<string> {
  const { db, t } = ctx.database;
  return (await db.select({ name: t.datasources.name }).from(t.datasources).where(eq(t.datasources.id, id)).limit(1))[0]?.name ?? id;
}

async function destinationName(ctx: Pick<AppContext, "database">, id: string): Promise<string> {
  const { db, t } = ctx.database;
  return (await db.select({ name: t.destinations.name }).from(t.destinations).where(eq(t.destinations.id, id)).limit(1))[0]?.name ?? id;
}

/** A backup run reached `failed`. */
export async function notifyBackupFailed(ctx: NotifyContext, run: { id: string; datasourceId: string }, error: Pick<ErrorBody, "code" | "message">): Promise<void> {
  const name = await datasourceName(ctx, run.datasourceId).catch(() => run.datasourceId);
  await notify(ctx, {
    kind: "backup.failed",
    subject: { datasourceId: run.datasourceId, runId: run.id },
    conditionKey: `backup:${run.datasourceId}`,
    title: `Backup of ${name} failed`,
    text: `${error.message} (${error.code}). Run ${run.id}. Further failures of ${name} are not repeated until a backup of it succeeds.`,
  });
}

/** A backup run completed: closes its datasource's "backup failed", and tells those who asked for successes. */
export async function notifyBackupSucceeded(ctx: NotifyContext, run: { id: string; datasourceId: string }): Promise<void> {
  const name = await datasourceName(ctx, run.datasourceId).catch(() => run.datasourceId);
  await notify(ctx, { kind: "backup.succeeded", subject: { datasourceId: run.datasourceId, runId: run.id }, conditionKey: `backup:${run.datasourceId}`, title: `Backup of ${name} completed`, text: `Run ${run.id} completed.` });
}

/** A delivery failed for good (its tries used up, or an error no try can fix). */
export async function notifyDeliveryFailed(ctx: NotifyContext, delivery: { id: string; runId: string; destinationId: string }, error: Pick<ErrorBody, "code" | "message">): Promise<void> {
  const name = await destinationName(ctx, delivery.destinationId).catch(() => delivery.destinationId);
  await notify(ctx, {
    kind: "delivery.failed",
    subject: { destinationId: delivery.destinationId, runId: delivery.runId },
    conditionKey: `delivery:${delivery.destinationId}`,
    title: `A backup did not reach ${name}`,
    text: `Delivering run ${delivery.runId} to ${name} failed: ${error.message} (${error.code}). Further failures to ${name} are not repeated until a delivery there succeeds.`,
  });
}

/** A delivery completed: the destination's "delivery failed" condition, if open, is over. */
export async function notifyDeliveryCompleted(ctx: Pick<AppContext, "database" | "log" | "clock">, destinationId: string): Promise<void> {
  await closeCondition(ctx, `delivery:${destinationId}`).catch((err: unknown) => ctx.log.error({ err, destinationId }, "could not close a delivery condition"));
}
