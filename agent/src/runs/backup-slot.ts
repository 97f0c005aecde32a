import { listQueuedRuns, findRunningRun, transitionRun } from "../store/runs.js";
import type { RunContext } from "./context.js";
import { executeBackup } from "./execute-backup.js";

/**
 * The agent's single backup slot: at most one run executes; when it ends the oldest queued run
 * (FIFO) starts. The database is the truth about what is running; this only tracks the promise.
 */
export class BackupSlot {
  private current: Promise<void> | null = null;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly getContext: () => RunContext) {}

  get busy(): boolean {
    return this.current !== null;
  }

  /** Executes a run that was just moved to `running`, then hands the slot to the next queued run. */
  launch(runId: string, datasourceId: string): void {
    const ctx = this.getContext();
    const run: Promise<void> = executeBackup(ctx, runId, datasourceId).finally(() => {
      if (this.current === run) this.current = null;
      // The store is closed at shutdown while a run may still unwind: nothing to hand over then.
      if (!ctx.store.db.open) return;
      try {
        this.startNext();
      } catch (err) {
        ctx.log.error({ err }, "could not start the next queued run");
      }
    });
    this.current = run;
  }

  /** Starts the oldest queued run if nothing runs (after a run ends, and at agent start-up). */
  startNext(): void {
    const ctx = this.getContext();
    if (this.current || findRunningRun(ctx.store)) return;
    const next = listQueuedRuns(ctx.store)[0];
    if (!next) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    transitionRun(ctx.store, next.runId, { to: "running" });
    this.launch(next.runId, next.datasourceId);
  }

  /** Resolves once no run executes and the queue is empty (tests, graceful shutdown). */
  whenIdle(): Promise<void> {
    if (!this.current && listQueuedRuns(this.getContext().store).length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
