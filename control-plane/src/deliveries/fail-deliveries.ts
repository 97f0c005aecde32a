import type { HoldfastError } from "@holdfast/shared";
import { and, eq, inArray } from "drizzle-orm";
import type { DbContext } from "../context.js";

/**
 * Gives up on every waiting delivery of a run with this error, no next try left scheduled: the run
 * ended without an artifact, the artifact never verified, or the agent's copy is gone before the
 * control plane held it. Nothing was written for them.
 */
export async function failDeliveries(ctx: DbContext, runId: string, error: HoldfastError): Promise<void> {
  const { db, t } = ctx.database;
  await db
    .update(t.deliveries)
    .set({ state: "failed", error: JSON.stringify(error.toBody()), nextAttemptAt: null, updatedAt: ctx.clock.now().getTime() })
    .where(and(eq(t.deliveries.runId, runId), inArray(t.deliveries.state, ["pending", "running"])));
}
