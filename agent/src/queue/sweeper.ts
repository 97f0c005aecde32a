import fs from "node:fs";
import path from "node:path";
import { SAFE_ID } from "../fs-safe.js";
import { purgeIdempotencyRecords } from "../store/idempotency.js";
import { pruneOutbox } from "../store/outbox.js";
import { getRun, markArtifactExpired, transitionRun } from "./run-record.js";
import { listExpiredArtifacts, listExpiredQueuedRuns, nextDeadline } from "../store/run-lookups.js";
import type { RunContext } from "../runs/context.js";

/** Housekeeping (idempotency purge, outbox pruning) happens at least this often. */
export const HOUSEKEEPING_MS = 60 * 60 * 1000;

export interface SweepReport {
  expiredRuns: string[];
  expiredArtifacts: string[];
  orphansRemoved: string[];
}

/**
 * Removes one entry of the staging root without ever following a link: a run's own folder (a real
 * directory named like a run id) is removed recursively (fs.rm unlinks symlinks inside, never their
 * targets); anything else is left alone. Returns whether it removed something.
 */
export function removeRunFolder(stagingRoot: string, name: string): boolean {
  if (!SAFE_ID.test(name)) return false;
  const dir = path.join(stagingRoot, name);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return false;
  }
  if (!st.isDirectory() || st.isSymbolicLink()) return false;
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
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

  /** Staging folders of runs that are not running and hold no artifact, and leftover write probes. */
  private removeOrphans(): string[] {
    const ctx = this.getContext();
    const removed: string[] = [];
    let names: string[];
    try {
      names = fs.readdirSync(ctx.stagingRoot);
    } catch {
      return removed;
    }
    for (const name of names) {
      if (name.startsWith(".probe-")) {
        const p = path.join(ctx.stagingRoot, name);
        if (fs.lstatSync(p).isFile()) fs.rmSync(p, { force: true });
        continue;
      }
      if (!SAFE_ID.test(name)) continue;
      const run = getRun(ctx.store, name);
      if (run && (run.state === "running" || (run.state === "completed" && run.stagingPath))) continue;
      if (removeRunFolder(ctx.stagingRoot, name)) {
        removed.push(name);
        ctx.log.warn({ runId: name }, "removed a staging folder no run owns");
      }
    }
    return removed;
  }
}
