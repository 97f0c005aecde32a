import { readdir, rm } from "node:fs/promises";
import type { Readable } from "node:stream";
import { and, asc, eq, gt, inArray, isNull, lt, lte, or } from "drizzle-orm";
import { exists, spooledPath } from "../artifacts/spool.js";
import { attemptDelivery, claimDelivery, type DeliveryContext } from "./attempt-delivery.js";
import type { DeliveryPolicy } from "./retry-policy.js";

export interface DeliveryWorkerOptions {
  policy?: Partial<DeliveryPolicy>;
  /** Tries running at once against one destination; other destinations never wait for it. */
  perDestination?: number;
  /** Longest sleep between two looks at the table (a lapsed lease, a row another replica wrote). */
  pollMs?: number;
  /** Called after a spool copy was removed: pulls waiting for room may go on. */
  onSpoolFreed?: () => void;
}

export interface DeliveryWorker {
  /** Looks for due deliveries now (a pull just verified a spool copy, a try just ended). */
  kick(): void;
  /** Removes spool copies nothing waits for any more, then starts looking (start-up). */
  start(): Promise<void>;
  /** Settles when no try is running (tests). */
  idle(): Promise<void>;
  /** Stops looking, cuts the tries under way (they go back to pending) and waits for them. */
  close(): Promise<void>;
}

/**
 * Delivers from the spool to every destination, each delivery on its own: tries run concurrently
 * (a few per destination), and a failure waits in the table (`pending` + `nextAttemptAt`), not in
 * a sleeping request, so a restart picks up where it was. The spool copy of a run goes once none
 * of its deliveries is pending or running.
 */
export function createDeliveryWorker(ctx: DeliveryContext, opts: DeliveryWorkerOptions = {}): DeliveryWorker {
  const policy: DeliveryPolicy = {
    attempts: opts.policy?.attempts ?? ctx.env.deliveryAttempts,
    backoffMs: opts.policy?.backoffMs ?? ctx.env.deliveryBackoffMs,
    leaseMs: opts.policy?.leaseMs ?? 60_000,
  };
  const perDestination = opts.perDestination ?? 2;
  const pollMs = opts.pollMs ?? 30_000;
  const { db, t } = ctx.database;
  const d = t.deliveries;
  const active = new Map<string, Promise<void>>();
  const perDest = new Map<string, number>();
  const streams = new Set<Readable>();
  let closed = false;
  let scanning = false;
  let again = false;
  let cancelTimer: (() => void) | undefined;

  const waitingStates = inArray(d.state, ["pending", "running"]);

  async function releaseSpool(runId: string): Promise<void> {
    const left = await db.select({ id: d.id }).from(d).where(and(eq(d.runId, runId), waitingStates)).limit(1);
    // A copy read from a destination had no spool copy to remove.
    if (left[0] || !(await exists(spooledPath(ctx.env.spoolDir, runId)))) return;
    await rm(spooledPath(ctx.env.spoolDir, runId), { force: true });
    ctx.log.info({ runId }, "every delivery ended; spool copy removed");
    opts.onSpoolFreed?.();
  }

  function run(row: { id: string; runId: string; destinationId: string }): void {
    perDest.set(row.destinationId, (perDest.get(row.destinationId) ?? 0) + 1);
    const p = (async () => {
      const claimed = await claimDelivery(ctx, row.id, policy.leaseMs);
      if (!claimed) return;
      const outcome = await attemptDelivery(ctx, claimed, policy, {
        closing: () => closed,
        onStream: (s) => {
          streams.add(s);
          s.once("close", () => streams.delete(s));
        },
      });
      if (outcome === "completed" || outcome === "failed") await releaseSpool(row.runId);
    })()
      .catch((err: unknown) => ctx.log.error({ err, deliveryId: row.id }, "delivery worker error"))
      .finally(() => {
        perDest.set(row.destinationId, (perDest.get(row.destinationId) ?? 1) - 1);
        active.delete(row.id);
        kick();
      });
    active.set(row.id, p);
  }

  /** The runs whose verified copy is in the spool: only their deliveries can be tried now. */
  async function spooledRuns(): Promise<string[]> {
    const names = await readdir(ctx.env.spoolDir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith(".artifact")).map((n) => n.slice(0, -".artifact".length));
  }

  /**
   * The runs with a delivery waiting whose spool copy is gone but a destination holds a completed
   * one: a copy asked for later, read from that destination (attempt-delivery's copySource).
   */
  async function heldElsewhere(spooled: string[]): Promise<string[]> {
    const waiting = (await db.selectDistinct({ runId: d.runId }).from(d).where(waitingStates)).map((r) => r.runId).filter((id) => !spooled.includes(id));
    if (waiting.length === 0) return [];
    const held = await db
      .selectDistinct({ runId: d.runId })
      .from(d)
      .where(and(inArray(d.runId, waiting), eq(d.state, "completed"), isNull(d.deletedAt)));
    return held.map((r) => r.runId);
  }

  async function scan(): Promise<void> {
    const now = ctx.clock.now().getTime();
    // The spool is bounded, so this list stays short; deliveries of runs not pulled yet (or waiting
    // for room) are left out here and kicked by the puller once their copy is verified.
    const spooled = await spooledRuns();
    const runIds = [...spooled, ...(await heldElsewhere(spooled))];
    const due =
      runIds.length === 0
        ? []
        : await db
            .select({ id: d.id, runId: d.runId, destinationId: d.destinationId })
            .from(d)
            .innerJoin(t.runs, eq(t.runs.id, d.runId))
            .where(
              and(
                inArray(d.runId, runIds),
                eq(t.runs.state, "completed"),
                or(and(eq(d.state, "pending"), or(isNull(d.nextAttemptAt), lte(d.nextAttemptAt, now))), and(eq(d.state, "running"), lt(d.updatedAt, now - policy.leaseMs))),
              ),
            )
            .orderBy(asc(d.updatedAt));
    for (const row of due) {
      if (closed) return;
      if (active.has(row.id) || (perDest.get(row.destinationId) ?? 0) >= perDestination) continue;
      run(row);
    }
    const next = await db
      .select({ at: d.nextAttemptAt })
      .from(d)
      .where(and(eq(d.state, "pending"), gt(d.nextAttemptAt, now)))
      .orderBy(asc(d.nextAttemptAt))
      .limit(1);
    const wait = Math.min(pollMs, Math.max(10, (next[0]?.at ?? Infinity) - ctx.clock.now().getTime()));
    cancelTimer?.();
    if (!closed) cancelTimer = ctx.clock.setTimeout(kick, wait);
  }

  function kick(): void {
    if (closed) return;
    if (scanning) {
      again = true;
      return;
    }
    scanning = true;
    void (async () => {
      do {
        again = false;
        await scan().catch((err: unknown) => ctx.log.error({ err }, "could not look for due deliveries"));
      } while (again && !closed);
      scanning = false;
    })();
  }

  return {
    kick,
    async start() {
      // A crash between the last delivery and the removal leaves a spool copy nothing waits for.
      for (const runId of await spooledRuns()) await releaseSpool(runId).catch(() => {});
      kick();
    },
    async idle() {
      while (active.size > 0 || scanning) {
        await Promise.allSettled([...active.values()]);
        if (scanning) await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      closed = true;
      cancelTimer?.();
      for (const s of streams) s.destroy(new Error("the control plane is shutting down"));
      await Promise.allSettled([...active.values()]);
    },
  };
}
