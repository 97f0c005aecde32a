import type { ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { HoldfastError } from "@holdfast/shared";
import type { WorkerMessage, WorkerOperation } from "./local-operation.js";
import { notStarted, processEnded, STARTUP_MS, silentFolder, spawnLocal } from "./local-spawn.js";

/**
 * How long a worker with nothing to do is kept: the few calls of a delivery, a retention pass or the
 * next run's delivery reuse it; a folder nobody uses holds no process.
 */
export const IDLE_MS = 30_000;

interface Call {
  op: WorkerOperation;
  timeoutMs: number;
  resolve(value: unknown): void;
  reject(err: HoldfastError): void;
  /** Runs from the moment the request is sent: the folder's bound for this call. */
  timer?: NodeJS.Timeout;
}

/** The live worker of each folder (by resolved root); a retired one is no longer here. */
const workers = new Map<string, LocalWorker>();

/**
 * One child process serving a folder's small calls concurrently, by request id. A call on a dead mount
 * blocks inside the kernel, in the worker's thread pool, where nothing but killing the process stops
 * it: when any call stays unanswered for its `timeoutMs`, the worker is killed with SIGKILL and every
 * call in flight on it fails with DESTINATION_UNREACHABLE once it is gone (they share the folder, and
 * nothing keeps running behind an answer). A worker that dies by itself fails its calls with
 * DELIVERY_FAILED. Either way it is retired at once, and the next call starts a fresh one.
 */
class LocalWorker {
  private readonly child: ChildProcess;
  private readonly calls = new Map<number, Call>();
  /** Calls made before the worker said it is ready: sent then, so Node's start is not on their clock. */
  private readonly waiting: number[] = [];
  private nextId = 0;
  private ready = false;
  private killedForSilence = false;
  private spawnError: HoldfastError | undefined;
  private stderr = "";
  private startup: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly root: string) {
    this.child = spawnLocal("local-worker-main", [], ["ignore", "ignore", "pipe", "ipc"]);
    // Nothing of the worker keeps the control plane running: a call's own timer does while it waits,
    // and an idle worker must not hold up an exit (the exit hook of `spawnLocal` kills it).
    this.child.unref();
    this.child.channel?.unref();
    (this.child.stderr as Socket).unref();
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-2000)));
    this.child.once("error", (err) => (this.spawnError ??= notStarted(err)));
    this.child.on("message", (m: WorkerMessage) => this.receive(m));
    this.child.once("exit", () => this.retire());
    this.child.once("close", (code, signal) => this.closed(code, signal));
    this.startup = setTimeout(() => this.kill(), STARTUP_MS);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(op: WorkerOperation, timeoutMs: number): Promise<unknown> {
    clearTimeout(this.idle);
    const id = ++this.nextId;
    const answer = new Promise((resolve, reject) => this.calls.set(id, { op, timeoutMs, resolve, reject }));
    if (this.ready) this.send(id);
    else this.waiting.push(id);
    return answer;
  }

  private send(id: number): void {
    const call = this.calls.get(id)!;
    call.timer = setTimeout(() => this.kill(), call.timeoutMs);
    // A channel closed meanwhile loses the request: the worker is ending, and its close fails the call.
    if (this.child.connected) this.child.send({ id, op: call.op }, () => {});
  }

  private receive(m: WorkerMessage): void {
    if ("ready" in m) {
      this.ready = true;
      clearTimeout(this.startup);
      for (const id of this.waiting.splice(0)) this.send(id);
      return;
    }
    const call = this.calls.get(m.id);
    if (!call) return;
    this.calls.delete(m.id);
    clearTimeout(call.timer);
    if ("error" in m) call.reject(HoldfastError.from(m.error));
    else call.resolve(m.ok);
    if (this.calls.size === 0 && workers.get(this.root) === this) {
      this.idle = setTimeout(() => {
        this.retire();
        this.child.kill("SIGKILL");
      }, IDLE_MS).unref();
    }
  }

  /** A call (or Node's start) stayed silent past its bound. */
  private kill(): void {
    this.killedForSilence = true;
    this.retire();
    this.child.kill("SIGKILL");
  }

  /** No new call goes to this worker. */
  private retire(): void {
    clearTimeout(this.idle);
    if (workers.get(this.root) === this) workers.delete(this.root);
  }

  private closed(code: number | null, signal: NodeJS.Signals | null): void {
    this.retire();
    clearTimeout(this.startup);
    for (const call of this.calls.values()) {
      clearTimeout(call.timer);
      call.reject(
        this.killedForSilence
          ? silentFolder(call.op.root, call.op.kind, call.timeoutMs)
          : (this.spawnError ?? (code === 0 ? new HoldfastError("DELIVERY_FAILED", "The local destination's process ended without an answer") : processEnded(code, signal, this.stderr))),
      );
    }
    this.calls.clear();
  }

  static for(root: string): LocalWorker {
    let worker = workers.get(root);
    if (!worker) workers.set(root, (worker = new LocalWorker(root)));
    return worker;
  }
}

/** One small call of a local destination, on its folder's worker (started when there is none). */
export function runInWorker(op: WorkerOperation, timeoutMs: number): Promise<unknown> {
  return LocalWorker.for(op.root).run(op, timeoutMs);
}

/** The process id of a folder's live worker, if any (tests: which process served a call). */
export function localWorkerPid(root: string): number | undefined {
  return workers.get(root)?.pid;
}
