import type { ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { PassThrough, type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError } from "@holdfast/shared";
import { sourceFailed, watchSource } from "./failures.js";
import type { ChildMessage, LocalOperation, LocalResults, ParentMessage, StreamOperation, WorkerOperation } from "./local-operation.js";
import { notStarted, processEnded, STARTUP_MS, silentFolder, spawnLocal } from "./local-spawn.js";
import { readSmall, SMALL_PUT_BYTES } from "./local-small-put.js";
import { runInWorker } from "./local-worker.js";
import { newProbeName } from "./probe.js";
import { nameSegments, splitPrefix } from "./relative-name.js";
import { assertNotPseudoFilesystem } from "./pseudo-filesystems.js";
import type { Destination } from "./types.js";

/** How long a local folder may stay silent in one step of an operation (HOLDFAST_LOCAL_DESTINATION_TIMEOUT_MS). */
export const DEFAULT_LOCAL_TIMEOUT_MS = 60_000;

export interface LocalDestinationOptions {
  timeoutMs?: number;
  /** The probe object's name; random unless a test plants something there. */
  probeName?: () => string;
}

/**
 * One streamed operation (put, get) in its own child process: its start is small against a transfer,
 * and its bytes have the child's stdin or stdout to themselves. A call on a dead mount (NFS, FUSE)
 * blocks inside the kernel and no timer can stop it, but a process can be killed: when the child
 * stays silent for `timeoutMs` in any step, it is killed with SIGKILL and the caller gets
 * DESTINATION_UNREACHABLE once it is gone.
 */
class ChildOperation {
  readonly child: ChildProcess;
  /** Settles once the process has exited and its pipes closed: null when it ended well, else why not. */
  readonly closed: Promise<HoldfastError | null>;
  /** The operation's result (for `get`: `streaming`, the bytes follow on stdout). */
  readonly answer: Promise<unknown>;
  private timer: NodeJS.Timeout | undefined;
  private stalled = false;
  private reported: HoldfastError | undefined;
  private stderr = "";

  constructor(
    private readonly op: StreamOperation,
    private readonly timeoutMs: number,
  ) {
    this.child = spawnLocal("local-child", [JSON.stringify(op)], [op.kind === "put" ? "pipe" : "ignore", op.kind === "get" ? "pipe" : "ignore", "pipe", "ipc"]);
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-2000)));
    this.closed = new Promise((done) => {
      this.child.once("error", (err) => {
        this.reported ??= notStarted(err);
      });
      this.child.once("close", (code, signal) => {
        this.disarm();
        done(this.outcome(code, signal));
      });
    });
    this.answer = new Promise((resolveAnswer, reject) => {
      this.child.on("message", (m: ChildMessage) => {
        if ("ready" in m) this.arm();
        else if ("error" in m) this.reported = HoldfastError.from(m.error);
        else resolveAnswer(m.ok);
      });
      void this.closed.then((err) => reject(err ?? new HoldfastError("DELIVERY_FAILED", "The local destination's process ended without an answer")));
    });
    this.answer.catch(() => {});
    this.timer = setTimeout(() => this.stall(), STARTUP_MS + timeoutMs);
  }

  /** (Re)starts the silence timer: called on every sign of progress. */
  arm(): void {
    this.disarm();
    this.timer = setTimeout(() => this.stall(), this.timeoutMs);
  }

  /** Stops the timer while the other side (our source, our reader) is the one that is slow. */
  disarm(): void {
    clearTimeout(this.timer);
  }

  send(m: ParentMessage): void {
    if (this.child.connected) this.child.send(m, () => {});
  }

  private stall(): void {
    this.stalled = true;
    this.child.kill("SIGKILL");
  }

  private outcome(code: number | null, signal: NodeJS.Signals | null): HoldfastError | null {
    if (this.stalled) return silentFolder(this.op.root, this.op.kind, this.timeoutMs);
    if (this.reported) return this.reported;
    return code === 0 ? null : processEnded(code, signal, this.stderr);
  }

  /** The result, then the process gone (it exits by itself once it answered). */
  async result(): Promise<unknown> {
    const value = await this.answer;
    this.arm();
    const err = await this.closed;
    if (err) throw err;
    return value;
  }
}

/**
 * The local destination as the control plane uses it: the same folder semantics as `localDestination`
 * (which the children run), every operation in a child process bounded by `timeoutMs` of silence (put
 * and get each in their own, the others on the folder's long-lived worker), and a folder on a
 * pseudo-filesystem (by the mount table) refused before any process starts or any request is sent.
 */
export function boundedLocalDestination(config: { path: string; readOnly?: boolean | undefined }, opts: LocalDestinationOptions = {}): Destination {
  const root = resolve(config.path);
  // Every call carries the folder's read-only switch: the worker serves the folder, not one config.
  const folder = { root, ...(config.readOnly === true ? { readOnly: true as const } : {}) };
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LOCAL_TIMEOUT_MS;
  /** Refusals that need no file system (a pseudo-filesystem by the mount table, a bad name) reach no process. */
  const check = (op: LocalOperation): void => {
    assertNotPseudoFilesystem(root);
    if ("name" in op) nameSegments(op.name);
    if (op.kind === "list") splitPrefix(op.prefix);
  };
  const start = (op: StreamOperation): ChildOperation => {
    check(op);
    return new ChildOperation(op, timeoutMs);
  };
  const call = async <K extends keyof LocalResults>(op: WorkerOperation & { kind: K }): Promise<LocalResults[K]> => {
    check(op);
    return (await runInWorker(op, timeoutMs)) as LocalResults[K];
  };

  return {
    async put(original, name, putOpts) {
      let stream = original;
      // What fits one message goes to the folder's worker whole: no process start for a sidecar.
      if (putOpts?.bytes !== undefined && putOpts.bytes <= SMALL_PUT_BYTES) {
        try {
          check({ root, kind: "put", name });
        } catch (err) {
          stream.destroy();
          throw err;
        }
        const small = await readSmall(stream, timeoutMs, () => silentFolder(root, "put", timeoutMs));
        if ("data" in small) return call({ ...folder, kind: "put", name, data: small.data });
        stream = small.rest;
      }
      const source = watchSource(stream);
      let op: ChildOperation;
      try {
        op = start({ ...folder, kind: "put", name, ...(putOpts?.bytes === undefined ? {} : { bytes: putOpts.bytes }) });
      } catch (err) {
        stream.destroy();
        throw err;
      }
      // Progress is what the child takes in: a child blocked on the disk stops reading, the pipe fills.
      const progress = new Transform({
        transform(chunk, _enc, done) {
          op.arm();
          done(null, chunk);
        },
      });
      source.sink(progress);
      try {
        await pipeline(stream, progress, op.child.stdin!);
        op.send("commit");
      } catch {
        op.send("abort");
      }
      try {
        return (await op.result()) as LocalResults["put"];
      } catch (err) {
        throw source.failure() ? sourceFailed(source.failure()) : err;
      }
    },

    async get(name, opts = {}) {
      const op = start({ ...folder, kind: "get", name, ...(opts.start ? { start: opts.start } : {}) });
      await op.answer;
      const bytes = op.child.stdout!;
      const out = new PassThrough({ highWaterMark: 1024 * 1024 });
      op.arm();
      bytes.on("data", (chunk: Buffer) => {
        op.arm();
        if (out.write(chunk)) return;
        // The reader is slow, not the folder: no timer until it wants more.
        bytes.pause();
        op.disarm();
        out.once("drain", () => {
          op.arm();
          bytes.resume();
        });
      });
      // Whole only when the child ended well after its last byte; killed or failed midway, the reader gets the error.
      bytes.once("end", () => void op.closed.then((err) => (err ? out.destroy(err) : out.end())));
      void op.closed.then((err) => err && out.destroy(err));
      out.once("close", () => {
        if (op.child.exitCode === null && op.child.signalCode === null) op.child.kill("SIGKILL");
      });
      return out as Readable;
    },

    // The link, the rename and the folder's fsync happen in the worker: a dead mount blocks there too.
    link: (source, name, linkOpts) => call({ ...folder, kind: "link", name, source, bytes: linkOpts.bytes }),
    stat: (name) => call({ ...folder, kind: "stat", name }),
    list: (prefix) => call({ ...folder, kind: "list", prefix }),
    delete: (name) => call({ ...folder, kind: "delete", name }),
    freeSpace: () => call({ ...folder, kind: "freeSpace" }),
    test: (o) => call({ ...folder, kind: "test", probeName: o?.probeName ?? (opts.probeName ?? newProbeName)() }),
  };
}
