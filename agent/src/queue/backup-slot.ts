import { describePriority, HoldfastError, MAX_DURATION_MINUTES, type ErrorBody } from "@holdfast/shared/protocol";
import { getDatasource } from "../store/datasources.js";
import { findRunningRun, listQueuedRuns } from "./queue-queries.js";
import { getRun } from "./run-record.js";
import { transitionRun } from "./transitions.js";
import type { RunContext } from "../runs/context.js";
import { executeBackup, type ExecuteOptions } from "../runs/execute-backup.js";
import { RunControl } from "../runs/run-control.js";
import { recordRunLog } from "../runs/steps.js";
import { agentDefaultPriority, effectivePriority, missingPriorityTools, withToolPriority } from "../engines/tool-priority.js";
import { toolEnv } from "../engines/spawn-tool.js";

interface ActiveRun {
  runId: string;
  control: RunControl;
  done: Promise<void>;
}

/**
 * The agent's single slot (backups, restores and drills share it): at most one run executes; when it
 * ends the oldest queued run (FIFO) starts, after queued runs past their TTL are expired. Each run
 * gets a timer on the clock for its datasource's maxDurationMinutes (RUN_TIMEOUT). The database is
 * the truth about what is running; this tracks the promise and the handle to stop it.
 */
export class BackupSlot {
  private current: ActiveRun | null = null;
  private idleWaiters: (() => void)[] = [];
  private stopping_ = false;

  constructor(private readonly getContext: () => RunContext) {}

  get busy(): boolean {
    return this.current !== null;
  }

  /** True once stop() was called: no new run starts (startBackup answers 503 AGENT_STOPPING). */
  get stopping(): boolean {
    return this.stopping_;
  }

  get runningRunId(): string | null {
    return this.current?.runId ?? null;
  }

  /** Executes a run that was just moved to `running`, then hands the slot to the next queued run. */
  launch(runId: string, datasourceId: string, opts: ExecuteOptions = {}): void {
    this.launchTask(runId, datasourceId, (ctx, control) => executeBackup(ctx, runId, datasourceId, control, opts));
  }

  /**
   * Like launch, for any kind of run (a restore): `execute` carries the `running` run to its end and
   * never throws. It gets the same timeout, cancel and shutdown handling through `control`.
   */
  launchTask(runId: string, datasourceId: string, execute: (ctx: RunContext, control: RunControl) => Promise<void>): void {
    const ctx = this.getContext();
    const control = new RunControl();
    const datasource = getDatasource(ctx.store, datasourceId);
    const minutes = datasource?.maxDurationMinutes ?? MAX_DURATION_MINUTES.parse(undefined);
    const priority = effectivePriority(datasource?.priority, agentDefaultPriority(ctx.limits));
    const cancelTimeout = ctx.clock.setTimeout(() => {
      ctx.log.warn({ runId, maxDurationMinutes: minutes }, "run exceeded its maximum duration: stopping it");
      control.request({
        kind: "fail",
        error: new HoldfastError("RUN_TIMEOUT", `The run exceeded its maximum duration of ${minutes} minutes`, { runId, maxDurationMinutes: minutes }).toBody(),
      });
    }, minutes * 60_000);
    const active: ActiveRun = { runId, control, done: Promise.resolve() };
    if (priority) {
      const missing = missingPriorityTools(priority, toolEnv().PATH);
      recordRunLog(ctx.store, runId, "info", `tools run at ${describePriority(priority)}`);
      if (missing.length) recordRunLog(ctx.store, runId, "warn", `${missing.join(" and ")} not installed on this host: that part of the priority is not applied`);
    }
    // Every tool the run starts, in any engine, picks the priority up from here (tool-priority.ts).
    active.done = withToolPriority(priority, () => execute(ctx, control)).finally(() => {
      cancelTimeout();
      if (this.current === active) this.current = null;
      // The store is closed at shutdown while a run may still unwind: nothing to hand over then.
      if (!ctx.store.db.open) return;
      try {
        this.startNext();
      } catch (err) {
        ctx.log.error({ err }, "could not start the next queued run");
      }
    });
    this.current = active;
  }

  /**
   * Starts the oldest queued run if nothing runs (after a run ends, and at agent start-up). Queued runs
   * past their TTL are expired on the way (the sweeper's timer does the same between runs).
   */
  startNext(): void {
    if (this.stopping_) return;
    const ctx = this.getContext();
    if (this.current || findRunningRun(ctx.store)) return;
    const now = ctx.clock.now().toISOString();
    for (const next of listQueuedRuns(ctx.store)) {
      if (next.queueExpiresAt !== null && next.queueExpiresAt <= now) {
        transitionRun(ctx.store, next.runId, { to: "expired" });
        continue;
      }
      transitionRun(ctx.store, next.runId, { to: "running", dequeued: true });
      this.launch(next.runId, next.datasourceId, { scheduleId: next.scheduleId });
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Stops the running run `runId` as cancelled (dump killed, staging removed) and waits until it
   * unwound. False when this slot is not executing that run.
   */
  async cancel(runId: string, reason: string | null): Promise<boolean> {
    const active = this.current;
    if (!active || active.runId !== runId) return false;
    active.control.request({ kind: "cancel", reason });
    await active.done;
    return true;
  }

  /** Shutdown: no new work; the running run (if any) is killed and fails with `error`; resolves once it unwound. */
  async stop(error: ErrorBody): Promise<void> {
    this.stopping_ = true;
    const active = this.current;
    if (!active) return;
    active.control.request({ kind: "fail", error });
    await active.done;
  }

  /** Resolves once no run executes and the queue is empty (tests). */
  whenIdle(): Promise<void> {
    if (!this.current && listQueuedRuns(this.getContext().store).length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves once the current run (if any) ended, whatever comes next. */
  async whenCurrentDone(): Promise<void> {
    await this.current?.done;
  }

  /** The run record of the run this slot executes (tests, health). */
  currentRun() {
    return this.current ? getRun(this.getContext().store, this.current.runId) : null;
  }
}
