import { isNull } from "drizzle-orm";
import { checkDatasource, type HealthContext } from "./check-datasource.js";
import { lastCheckedAt } from "./health-records.js";
import { type ProbeContext, probeStoredDestination } from "./probe-destination.js";

export interface HealthWorkerOptions {
  /** How often due checks are looked for (default: a fifth of the shortest interval, 50 ms–30 s). */
  tickMs?: number;
  /** Checks and probes under way at once. */
  concurrency?: number;
}

export interface HealthWorker {
  start(): void;
  /** Settles when no check is under way and no scan runs (tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Checks every live datasource through its agent on its interval (its own `healthIntervalMinutes`,
 * else HOLDFAST_HEALTH_INTERVAL_MS) and probes every destination every
 * HOLDFAST_DESTINATION_PROBE_INTERVAL_MS, a few at a time, each within HOLDFAST_HEALTH_TIMEOUT_MS.
 * Due is read from the last recorded result, so a restart does not check everything again at once.
 * A datasource is checked while its agent runs a backup of it too: the check is one short
 * connection, and a server that cannot take it is worth knowing about.
 */
export function createHealthWorker(ctx: HealthContext & ProbeContext, opts: HealthWorkerOptions = {}): HealthWorker {
  const { healthIntervalMs, destinationProbeIntervalMs } = ctx.env;
  const intervals = [healthIntervalMs, destinationProbeIntervalMs].filter((ms) => ms > 0);
  const tickMs = opts.tickMs ?? Math.min(30_000, Math.max(50, Math.floor(Math.min(...intervals, 150_000) / 5)));
  const concurrency = opts.concurrency ?? 4;
  const active = new Map<string, Promise<unknown>>();
  let scanning: Promise<void> | undefined;
  let cancelTimer: (() => void) | undefined;
  let closed = false;

  function launch(subjectId: string, work: () => Promise<unknown>): void {
    const p = work()
      .catch((err: unknown) => ctx.log.error({ err, subjectId }, "a health check could not be recorded"))
      .finally(() => active.delete(subjectId));
    active.set(subjectId, p);
  }

  async function due(ids: string[], intervalOf: (id: string) => number): Promise<Set<string>> {
    const last = await lastCheckedAt(ctx, ids);
    const now = ctx.clock.now().getTime();
    return new Set(ids.filter((id) => intervalOf(id) > 0 && !active.has(id) && now - (last.get(id) ?? 0) >= intervalOf(id)));
  }

  async function scan(): Promise<void> {
    const { db, t } = ctx.database;
    if (healthIntervalMs > 0) {
      const rows = await db.select({ id: t.datasources.id, agentId: t.datasources.agentId, name: t.datasources.name, minutes: t.datasources.healthIntervalMinutes }).from(t.datasources).where(isNull(t.datasources.deletedAt));
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const id of await due([...byId.keys()], (i) => (byId.get(i)?.minutes ? byId.get(i)!.minutes! * 60_000 : healthIntervalMs))) {
        if (closed || active.size >= concurrency) break;
        const ds = byId.get(id)!;
        launch(id, () => checkDatasource(ctx, ds));
      }
    }
    if (destinationProbeIntervalMs > 0) {
      const rows = await db.select().from(t.destinations).where(isNull(t.destinations.deletedAt));
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const id of await due([...byId.keys()], () => destinationProbeIntervalMs)) {
        if (closed || active.size >= concurrency) break;
        launch(id, () => probeStoredDestination(ctx, byId.get(id)!));
      }
    }
  }

  function tick(): void {
    if (closed) return;
    scanning ??= scan()
      .catch((err: unknown) => ctx.log.error({ err }, "health checks could not be scheduled"))
      .finally(() => {
        scanning = undefined;
      });
    cancelTimer = ctx.clock.setTimeout(tick, tickMs);
  }

  return {
    start() {
      if (intervals.length > 0) tick();
    },
    async idle() {
      while (scanning || active.size > 0) await Promise.allSettled([scanning, ...active.values()]);
    },
    async close() {
      closed = true;
      cancelTimer?.();
      await this.idle();
    },
  };
}
