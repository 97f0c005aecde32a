import type { AppContext, SchedulerHooks } from "../context.js";
import { LOCK_IDS } from "../db/lock-ids.js";
import { listScheduleRecords, type Schedule } from "../schedules/schedule-rows.js";
import { nextFiring } from "../schedules/cron.js";
import { firingPlannerOf } from "../blackout/firing-plan.js";
import { fireDue } from "./fire.js";
import { sweepPending } from "./pending.js";
import { recordDueRetries } from "./retries.js";
import { yieldToLoop } from "../timers/yield-to-loop.js";

/** Schedules looked at per turn of the event loop: a first pass compiles every cron (about half a millisecond each). */
const FIRING_BATCH = 100;

export type SchedulerContext = Pick<AppContext, "database" | "clock" | "log" | "link">;

export interface SchedulerOptions {
  /** How often to look (HOLDFAST_SCHEDULER_TICK_MS). */
  tickMs: number;
  /** How late a firing may still be sent (HOLDFAST_MISFIRE_GRACE_MS). */
  graceMs: number;
}

export interface Scheduler extends SchedulerHooks {
  /** Ticks now and then every `tickMs` on the context's clock. */
  start(): void;
  /** One pass: record due firings and retries, then send or close pending runs. Overlapping calls share a pass. */
  tick(): Promise<void>;
  /** No more ticks; resolves once the current pass ended (sends under way go on: see idle). */
  stop(): Promise<void>;
  /** Resolves once the current pass and every send under way have settled. */
  idle(): Promise<void>;
}

/**
 * The firing loop. Everything it knows is in the database (schedules.fire_cursor, the runs and
 * their states): a pass reads it, writes with single-statement claims, and keeps in memory only a
 * cache of each schedule's next fire time and the sends under way. So a restart resumes where the
 * last pass stopped, and two loops on one database record each firing once (fire.ts, run-records.ts).
 */
export function createScheduler(ctx: SchedulerContext, opts: SchedulerOptions): Scheduler {
  const log = ctx.log.child({ component: "scheduler" });
  const inFlight = new Set<string>();
  const sends = new Set<Promise<void>>();
  /** Per schedule, its next fire time after its cursor, so a pass runs croner only for schedules that fell due. */
  const nextAt = new Map<string, { key: string; at: number | null }>();
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let cancelTimer: (() => void) | undefined;
  let leading: boolean | undefined;

  /**
   * One control plane at a time fires schedules and records retries: the holder of the scheduler
   * lock (always this one on SQLite). Firings stay idempotent by (schedule, fire time) whoever fires,
   * so a handover neither drops nor doubles one; the lock only keeps replicas from doing the work
   * twice. A replica that dies loses the lock with its connection: another takes it at its next pass.
   */
  const leads = async (): Promise<boolean> => {
    const now = await ctx.database.holdsLock(LOCK_IDS.scheduler);
    if (now !== leading) log.info(now ? "this control plane fires the schedules (it holds the scheduler lock)" : "another control plane holds the scheduler lock and fires the schedules");
    leading = now;
    return now;
  };

  const fellDue = (s: Schedule, now: Date): boolean => {
    const windows = JSON.stringify([s.blackout, s.blackoutMisfire, s.agentBlackout, s.agentTimezone]);
    const key = `${s.cron}\n${s.timezone}\n${s.fireCursor}\n${windows}`;
    let cached = nextAt.get(s.id);
    if (cached?.key !== key) {
      const firing = nextFiring(s.cron, s.timezone, new Date(s.fireCursor));
      // Inside a blackout window a firing falls due at the window's end (defer), or at its time, to be recorded skipped.
      const planned = firing && firingPlannerOf(s)?.(firing.getTime());
      cached = { key, at: planned ? (planned.runAt ?? planned.cronTime) : (firing?.getTime() ?? null) };
      nextAt.set(s.id, cached);
    }
    return cached.at !== null && cached.at <= now.getTime();
  };

  const pass = async () => {
    const now = ctx.clock.now();
    const schedules = await listScheduleRecords(ctx, { active: true });
    const active = new Map(schedules.map((s) => [s.id, s]));
    for (const id of nextAt.keys()) if (!active.has(id)) nextAt.delete(id);
    if (await leads()) {
      for (const [i, s] of schedules.entries()) {
        if (i > 0 && i % FIRING_BATCH === 0) await yieldToLoop();
        try {
          if (fellDue(s, now)) await fireDue({ ...ctx, log }, s, now, opts.graceMs);
        } catch (err) {
          // One broken schedule (a cron croner no longer reads) must not stop the others.
          log.error({ err, scheduleId: s.id }, "could not fire the schedule");
        }
      }
      await recordDueRetries({ ...ctx, log }, now, active, opts.graceMs);
    }
    // Every replica sends the pending runs of the agents whose link it holds.
    await sweepPending({ ...ctx, log }, now, active, {
      graceMs: opts.graceMs,
      inFlight,
      track(send) {
        const p = send.catch((err: unknown) => log.error({ err }, "scheduled run send failed"));
        sends.add(p);
        void p.finally(() => sends.delete(p));
      },
    });
  };

  const tick = (): Promise<void> => {
    if (running) {
      // A pass is under way and may have read before what asked for this one: run once more after it.
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await pass();
        } catch (err) {
          log.error({ err }, "scheduler pass failed");
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const loop = () => {
    if (stopped) return;
    void tick().finally(() => {
      if (!stopped) cancelTimer = ctx.clock.setTimeout(loop, opts.tickMs);
    });
  };

  const idle = async () => {
    await running;
    await Promise.all([...sends]);
  };

  return {
    start: loop,
    tick,
    idle,
    async stop() {
      stopped = true;
      cancelTimer?.();
      await running;
      // Handed over at once rather than when the process ends.
      await ctx.database.releaseLock(LOCK_IDS.scheduler).catch((err: unknown) => log.warn({ err }, "could not release the scheduler lock"));
    },
    onAgentOnline(agentId) {
      if (stopped) return;
      log.debug({ agentId }, "agent online; looking for its pending runs");
      void tick();
    },
  };
}
