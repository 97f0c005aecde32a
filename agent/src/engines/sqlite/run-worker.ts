import { Worker } from "node:worker_threads";
import type { MessageType, SqliteFailure, SqliteTask, WorkerMessage } from "./worker-protocol.js";

/** A task that failed in the worker (or a worker that died): its failure, for the engine to map to a catalog code. */
export class SqliteWorkerError extends Error {
  constructor(readonly failure: SqliteFailure) {
    super(failure.message);
    this.name = "SqliteWorkerError";
  }
}

type Of<T extends MessageType> = Extract<WorkerMessage, { type: T }>;

/**
 * The worker for a task. Built JS runs `sqlite-worker.js` beside this file; from TypeScript sources
 * (tests, tsx) Node cannot load `.ts` in a worker by itself, so tsx's loader (a root devDependency)
 * is registered inside the worker first.
 */
function spawnWorker(task: SqliteTask): Worker {
  const self = import.meta.url;
  if (!self.endsWith(".ts")) return new Worker(new URL("./sqlite-worker.js", self), { workerData: task });
  const entry = JSON.stringify(new URL("./sqlite-worker.ts", self).href);
  const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${entry}); });`;
  return new Worker(boot, { eval: true, workerData: task });
}

/** One task on its own worker thread; `next(type)` waits for one of its results. */
export class SqliteWorkerRun {
  private readonly worker: Worker;
  private readonly received = new Map<MessageType, WorkerMessage>();
  private readonly waiters: Array<{ type: MessageType; resolve: (m: WorkerMessage) => void; reject: (e: Error) => void }> = [];
  private ended: SqliteWorkerError | null = null;
  private finished = false;
  /** Settles once the thread has exited (never rejects). */
  readonly exited: Promise<void>;

  constructor(task: SqliteTask) {
    this.worker = spawnWorker(task);
    this.worker.on("message", (m: WorkerMessage) => this.onMessage(m));
    this.worker.on("error", (err: Error) => this.end({ reason: "other", message: `The SQLite worker failed: ${err.message}` }));
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.once("exit", (code) => this.end({ reason: "stopped", message: `The SQLite worker stopped (exit code ${code})` }));
  }

  private onMessage(m: WorkerMessage): void {
    if (m.type === "failed") return this.end(m.failure);
    if (m.type === "done") {
      this.finished = true;
      return this.end({ reason: "other", message: "The SQLite worker finished without that result" });
    }
    this.received.set(m.type, m);
    for (const w of this.waiters.filter((x) => x.type === m.type)) w.resolve(m);
    this.waiters.splice(0, this.waiters.length, ...this.waiters.filter((x) => x.type !== m.type));
  }

  /** The first failure wins; later waiters for results that never came are rejected with it. */
  private end(failure: SqliteFailure): void {
    if (this.ended) return;
    this.ended = new SqliteWorkerError(failure);
    for (const w of this.waiters.splice(0)) w.reject(this.ended);
  }

  next<T extends MessageType>(type: T): Promise<Of<T>> {
    const got = this.received.get(type);
    if (got) return Promise.resolve(got as Of<T>);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => this.waiters.push({ type, resolve: (m) => resolve(m as Of<T>), reject }));
  }

  /** Whether the task ran to its end (`done`), as opposed to failing or being stopped. */
  get succeeded(): boolean {
    return this.finished;
  }

  /** Stops the thread (after the SQLite call in progress returns) and waits for it to be gone. */
  async stop(): Promise<void> {
    await this.worker.terminate();
    await this.exited;
  }
}

/** Runs a task to its end and returns one result. */
export async function runSqliteTask<T extends MessageType>(task: SqliteTask, want: T): Promise<Of<T>> {
  const run = new SqliteWorkerRun(task);
  try {
    const result = await run.next(want);
    // The thread closes its connection and exits by itself; the caller may remove the file after this.
    await run.exited;
    return result;
  } catch (err) {
    await run.stop();
    throw err;
  }
}
