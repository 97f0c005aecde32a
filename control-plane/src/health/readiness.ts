import { HoldfastError } from "@holdfast/shared";
import type { AppContext } from "../context.js";

/** How long `/readyz` waits for the database before it answers 503. */
export const READINESS_TIMEOUT_MS = 2_000;

/**
 * Whether this process may take traffic: it is not stopping, and its database answers a small
 * query within `timeoutMs`. Throws NOT_READY with `details.reason` (`stopping`, `database`)
 * otherwise. Liveness (`/healthz`) asks nothing of the database: a database outage must take a
 * replica out of the load balancer, not get it restarted.
 */
export async function checkReadiness(ctx: Pick<AppContext, "database" | "clock" | "lifecycle" | "log">, timeoutMs = READINESS_TIMEOUT_MS): Promise<void> {
  if (ctx.lifecycle?.stopping) throw new HoldfastError("NOT_READY", "The control plane is shutting down", { reason: "stopping" });
  const { db, t } = ctx.database;
  let cancel = () => {};
  const timedOut = new Promise<"timeout">((resolve) => {
    cancel = ctx.clock.setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const answer = await Promise.race([db.select({ id: t.agents.id }).from(t.agents).limit(1), timedOut]);
    if (answer === "timeout") throw new HoldfastError("NOT_READY", `The control plane's database did not answer within ${timeoutMs} ms`, { reason: "database" });
  } catch (err) {
    if (err instanceof HoldfastError) throw err;
    ctx.log.warn({ err }, "readiness: the database query failed");
    throw new HoldfastError("NOT_READY", "The control plane's database does not answer", { reason: "database" });
  } finally {
    cancel();
  }
}
