import { purgeIdempotencyRecords } from "../store/idempotency.js";
import { pruneOutbox } from "../store/outbox.js";
import { getRun } from "./run-record.js";
import { removeOrphanFolders, removeRunFolder } from "../staging/run-folders.js";
import { listExpiredArtifacts, markArtifactExpired } from "../staging/staged-artifact.js";
import { transitionRun } from "./transitions.js";
import { listExpiredQueuedRuns, nextDeadline } from "./queue-queries.js";
import type { RunContext } from "../runs/context.js";

/** Housekeeping (idempotency purge, outbox pruning) happens at least this often. */
export const HOUSEKEEPING_MS = 60 * 60 * 1000;

export interface SweepReport {
  expiredRuns: string[];
  expiredArtifacts: string[];
  orphansRemoved: string[];
}

/**
 * The clock-driven janitor. One timer, armed for the earliest deadline ahead (a queued run's TTL, an
 * artifact's TTL) or HOUSEKEEPING_MS: it expires queued runs (backupExpired), removes expired staged
 * artifacts (artifactExpired), purges old idempotency records and prunes acknowledged outbox events.
 * At start it also removes staging folders no run owns any more (left by a crash).
 */
export class Sweeper {
  private cancelTimer: (() => void) | null = null;
  private started = false;

  constructor(private readonly getContext: () => RunContext) {}

  start(): SweepReport {
    this.started = true;
    const orphansRemoved = this.removeOrphans();
    return { ...this.sweep(), orphansRemoved };
  }

  stop(): void {
    this.started = false;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** Something with a deadline was added (a queued run, a staged artifact): re-arm the timer. */
  poke(): void {
    if (this.started) this.arm();
  }

  sweep(): SweepReport {
    const ctx = this.getContext();
    const report: SweepReport = { expiredRuns: [], expiredArtifacts: [], orphansRemoved: [] };
    if (!ctx.store.db.open) return report;
    for (const run of listExpiredQueuedRuns(ctx.store)) {
      try {
        transitionRun(ctx.store, run.runId, { to: "expired" });
        report.expiredRuns.push(run.runId);
        ctx.log.warn({ runId: run.runId, scheduleId: run.scheduleId, queuedAt: run.queuedAt }, "queued run expired before it could start");
      } catch (err) {
        ctx.log.error({ err, runId: run.runId }, "could not expire a queued run");
      }
    }
    for (const run of listExpiredArtifacts(ctx.store)) {
      try {
        removeRunFolder(ctx.stagingRoot, run.runId);
        markArtifactExpired(ctx.store, run.runId);
        report.expiredArtifacts.push(run.runId);
        ctx.log.info({ runId: run.runId }, "staged artifact expired and was removed");
      } catch (err) {
        ctx.log.error({ err, runId: run.runId }, "could not remove an expired artifact");
      }
    }
    purgeIdempotencyRecords(ctx.store, ctx.limits.idempotencyWindowMs);
    pruneOutbox(ctx.store);
    if (this.started) this.arm();
    return report;
  }

  private arm(): void {
    const ctx = this.getContext();
    this.cancelTimer?.();
    const now = ctx.clock.now().getTime();
    const deadline = nextDeadline(ctx.store);
    const due = deadline ? Math.min(Date.parse(deadline), now + HOUSEKEEPING_MS) : now + HOUSEKEEPING_MS;
    this.cancelTimer = ctx.clock.setTimeout(() => {
      this.cancelTimer = null;
      if (this.started) this.sweep();
    }, Math.max(0, due - now));
  }

  /** Staging folders of runs that are not running and hold no artifact (a crash left them), and leftover write probes. */
  private removeOrphans(): string[] {
    const ctx = this.getContext();
    const removed = removeOrphanFolders(ctx.stagingRoot, (runId) => {
      const run = getRun(ctx.store, runId);
      return run !== null && (run.state === "running" || (run.state === "completed" && run.stagingPath !== null));
    });
    for (const runId of removed) ctx.log.warn({ runId }, "removed a staging folder no run owns");
    return removed;
  }
}
