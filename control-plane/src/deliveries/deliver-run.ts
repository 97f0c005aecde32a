import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { basename } from "node:path";
import { HoldfastError, sleep } from "@holdfast/shared";
import { and, eq, inArray } from "drizzle-orm";
import { spooledPath } from "../artifacts/spool.js";
import type { AppContext } from "../context.js";
import { openStoredDestination } from "../destinations/open-destination.js";
import { getRunRow } from "../runs/get-run.js";

type DeliverContext = Pick<AppContext, "database" | "clock" | "env" | "log" | "secrets">;

export const DELIVERY_ATTEMPTS = 3;

/** The file name a destination gets: the agent's name when it is a plain one, else the run id. */
function artifactName(runId: string, fileName: string | null): string {
  const name = fileName ? basename(fileName) : "";
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name) ? name : `${runId}.sql.gz`;
}

/**
 * Writes the verified spool copy of a run to each of its destinations that still waits, recording
 * every delivery `pending → running → completed | failed`. The spool copy is removed once no delivery
 * waits any more.
 */
export async function deliverRun(ctx: DeliverContext, runId: string, opts: { backoffMs?: number } = {}): Promise<void> {
  const run = await getRunRow(ctx, runId);
  const source = spooledPath(ctx.env.spoolDir, runId);
  const relativeName = `${run.datasourceId}/${artifactName(runId, run.fileName)}`;
  const { db, t } = ctx.database;
  const waiting = await db
    .select()
    .from(t.deliveries)
    .where(and(eq(t.deliveries.runId, runId), inArray(t.deliveries.state, ["pending", "running"])));

  for (const delivery of waiting) {
    let attempts = delivery.attempts;
    for (;;) {
      attempts += 1;
      await db
        .update(t.deliveries)
        .set({ state: "running", attempts, updatedAt: ctx.clock.now().getTime() })
        .where(eq(t.deliveries.id, delivery.id));
      try {
        const destination = await openStoredDestination(ctx, delivery.destinationId);
        const { path, bytes } = await destination.put(createReadStream(source, { highWaterMark: 1024 * 1024 }), relativeName);
        await db
          .update(t.deliveries)
          .set({ state: "completed", path, bytes, error: null, updatedAt: ctx.clock.now().getTime() })
          .where(eq(t.deliveries.id, delivery.id));
        ctx.log.info({ runId, destinationId: delivery.destinationId, path, bytes }, "artifact delivered");
        break;
      } catch (err) {
        const error =
          err instanceof HoldfastError
            ? { code: err.code, message: err.message, retryable: err.retryable }
            : { code: "DELIVERY_FAILED", message: (err as Error).message, retryable: true };
        ctx.log.warn({ runId, destinationId: delivery.destinationId, attempts, err: error }, "delivery attempt failed");
        const final = attempts >= DELIVERY_ATTEMPTS || !error.retryable;
        await db
          .update(t.deliveries)
          .set({ state: final ? "failed" : "running", error: JSON.stringify(error), updatedAt: ctx.clock.now().getTime() })
          .where(eq(t.deliveries.id, delivery.id));
        if (final) break;
        await sleep(ctx.clock, (opts.backoffMs ?? 1000) * 2 ** (attempts - 1));
      }
    }
  }

  const left = await db
    .select({ id: t.deliveries.id })
    .from(t.deliveries)
    .where(and(eq(t.deliveries.runId, runId), inArray(t.deliveries.state, ["pending", "running"])))
    .limit(1);
  if (!left[0]) await rm(source, { force: true });
}

/** Gives up on every waiting delivery of a run with this error (e.g. the artifact never verified). */
export async function failDeliveries(ctx: Pick<AppContext, "database" | "clock">, runId: string, error: HoldfastError): Promise<void> {
  const { db, t } = ctx.database;
  await db
    .update(t.deliveries)
    .set({ state: "failed", error: JSON.stringify(error.toBody()), updatedAt: ctx.clock.now().getTime() })
    .where(and(eq(t.deliveries.runId, runId), inArray(t.deliveries.state, ["pending", "running"])));
}
