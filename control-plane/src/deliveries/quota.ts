import { HoldfastError } from "@holdfast/shared";
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { DbContext } from "../context.js";

/** GB as `maxSizeGb` counts it: 10^9 bytes. */
export const GB = 1e9;

/**
 * The bytes Holdfast holds on a destination by its own records: every completed delivery there
 * that retention has not deleted. Objects written by anyone else, and the small sidecars, are not
 * counted; the destination itself is never asked (S3 cannot say, a shared disk would count others).
 */
export async function usedBytes(ctx: DbContext, destinationId: string): Promise<number> {
  const { db, t } = ctx.database;
  const rows = await db
    .select({ bytes: sql<string | number | null>`sum(${t.deliveries.bytes})` })
    .from(t.deliveries)
    .where(and(eq(t.deliveries.destinationId, destinationId), eq(t.deliveries.state, "completed"), isNull(t.deliveries.deletedAt)));
  return Number(rows[0]?.bytes ?? 0);
}

/** The artifacts being written to the destination right now by other deliveries: they will count soon. */
async function inFlightBytes(ctx: DbContext, destinationId: string, exceptDeliveryId: string): Promise<number> {
  const { db, t } = ctx.database;
  const rows = await db
    .select({ bytes: sql<string | number | null>`sum(${t.runs.sizeBytes})` })
    .from(t.deliveries)
    .innerJoin(t.runs, eq(t.runs.id, t.deliveries.runId))
    .where(and(eq(t.deliveries.destinationId, destinationId), eq(t.deliveries.state, "running"), ne(t.deliveries.id, exceptDeliveryId)));
  return Number(rows[0]?.bytes ?? 0);
}

/**
 * Refuses a delivery whose artifact would take the destination past its `maxSizeGb`
 * (DESTINATION_QUOTA_EXCEEDED, not retried: waiting does not make room, retention or a new quota does).
 */
export async function assertWithinQuota(ctx: DbContext, input: { destinationId: string; maxSizeGb: number | null; deliveryId: string; bytes: number }): Promise<void> {
  if (input.maxSizeGb === null) return;
  const limit = Math.floor(input.maxSizeGb * GB);
  const used = (await usedBytes(ctx, input.destinationId)) + (await inFlightBytes(ctx, input.destinationId, input.deliveryId));
  if (used + input.bytes <= limit) return;
  throw new HoldfastError(
    "DESTINATION_QUOTA_EXCEEDED",
    `Writing ${input.bytes} bytes would take destination ${input.destinationId} past its quota of ${input.maxSizeGb} GB (${used} bytes in use)`,
    { destinationId: input.destinationId, maxSizeGb: input.maxSizeGb, usedBytes: used, artifactBytes: input.bytes },
  );
}
