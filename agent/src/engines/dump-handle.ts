import type { ChildProcess } from "node:child_process";
import { PassThrough } from "node:stream";
import { finished } from "node:stream/promises";
import { HoldfastError } from "@holdfast/shared/protocol";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";
import { killTree, spawnTool, type ToolExit } from "./spawn-tool.js";
import type { DumpHandle, DumpSink, Fingerprint } from "./types.js";

/** One tool a dump runs to its end. */
export interface DumpTool {
  name: string;
  bin: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Its stdout is (a part of) the dump; otherwise it is read and dropped (a tool that writes into a folder). */
  toOut: boolean;
  /** Sees every chunk of its stdout (MySQL's check of the completion trailer). */
  onStdout?(chunk: Buffer): void;
  /** A non-zero exit as the error `done` rejects with: the engine's toolFailure, which classifies the cause. */
  failure(exit: ToolExit): HoldfastError;
  /** What of its stderr becomes warnings() after it exited 0 (redacted). */
  warnings(exit: ToolExit): string[];
}

/** What a dump in progress has to hand: where its bytes go, its warnings, whether it was stopped. */
export class DumpRun {
  readonly out = new PassThrough({ highWaterMark: PIPELINE_CHUNK_BYTES });
  /** Where the tools write directly (startDump's `stdoutTo`): a codec's stdin or the staged file; `out` then stays empty. */
  constructor(readonly sink: DumpSink | null = null) {}
  readonly warnings: string[] = [];
  stopped = false;
  /** A tool exited non-zero by itself (not by abort()): its error is the story, not ours. */
  failedOnItsOwn = false;
  private current: ChildProcess | null = null;

  /** Runs a tool to its exit; rejects with its failure on a non-zero exit, and before it starts when the dump was stopped. */
  async tool(t: DumpTool): Promise<ToolExit> {
    if (this.stopped) throw stoppedError(`${t.name} was stopped before it started`);
    // Only a plan without onStdout and in-process writes gets a sink (DumpPlan.direct).
    const tool = spawnTool(t.name, t.bin, t.args, t.env, t.toOut && this.sink !== null ? this.sink : undefined);
    this.current = tool.child;
    const stdout = tool.stdout;
    if (stdout) {
      if (t.onStdout) stdout.on("data", (chunk: Buffer) => t.onStdout!(chunk));
      if (t.toOut) stdout.pipe(this.out, { end: false });
      else stdout.resume();
    }
    const [exit] = await Promise.all([tool.exited, stdout ? finished(stdout).catch(() => {}) : null]).finally(() => (this.current = null));
    if (exit.code !== 0) {
      this.failedOnItsOwn ||= !this.stopped;
      throw t.failure(exit);
    }
    this.warnings.push(...t.warnings(exit));
    return exit;
  }

  /** Stops the running tool's process group; false when none runs. */
  killTool(): boolean {
    return this.current ? killTree(this.current) : false;
  }
}

/** Ends the dump's stream unless it was ended (by an engine that ends it early) or torn down. */
function endOf(out: PassThrough): void {
  if (!out.destroyed && !out.writableEnded) out.end();
}

export function stoppedError(message = "The dump was stopped", details: Record<string, unknown> = {}): HoldfastError {
  return new HoldfastError("DUMP_FAILED", message, { ...details, signal: "SIGTERM" });
}

/** How one engine dumps: the part that differs. Everything around it is startDump's. */
export interface DumpPlan {
  /**
   * Every byte of the dump comes from tools' stdout (no onStdout check, nothing written in-process), so
   * the tools may write straight into a codec's stdin when the pipeline offers one.
   */
  direct?: boolean;
  /** Writes the dump into `run.out`; resolves once all of it is written. It may end `run.out` itself when it has more to do after the last byte. */
  produce(run: DumpRun): Promise<void>;
  /** What abort() stops besides a running tool (a psql session, a worker thread, a tar pack). */
  onAbort?(): void;
  /** The error `done` rejects with, from what was thrown (default: as thrown; after abort() a stream's own error becomes the stop). */
  failure?(err: unknown, stopped: boolean): unknown;
  /** Runs once the dump settled, either way: credential files, temp dirs, sessions. */
  cleanup?(): Promise<void>;
  /** Called once `done` resolved. */
  sourceFingerprint?(): Promise<Fingerprint>;
}

/**
 * The lifecycle every engine's dump shares. The handle's stdout is returned at once (empty when the
 * tools write into `stdoutTo` instead); `done` settles
 * after the dump's tools exited and its cleanup ran. On any failure stdout is ENDED, not destroyed
 * with the error (nobody may be listening for one yet): the pipeline behind stops waiting for bytes
 * and sees `done` reject, so it discards what it staged. abort() stops the running tool (or, between
 * tools, the stream itself) and makes `done` reject; it answers false when the dump had already
 * settled or failed by itself, so the pipeline reports that failure rather than the stop.
 */
export function startDump(plan: DumpPlan, stdoutTo?: DumpSink): DumpHandle {
  const run = new DumpRun(plan.direct && stdoutTo !== undefined ? stdoutTo : null);
  let settled = false;
  const done = (async () => {
    try {
      await plan.produce(run);
      if (run.stopped) throw stoppedError();
      endOf(run.out);
    } catch (err) {
      endOf(run.out);
      if (!run.stopped) run.failedOnItsOwn = true;
      if (plan.failure) throw plan.failure(err, run.stopped);
      // A stream torn down by abort() says "premature close"; the story is the stop.
      throw run.stopped && !(err instanceof HoldfastError) ? stoppedError() : err;
    } finally {
      settled = true;
      await plan.cleanup?.();
    }
  })();
  done.catch(() => {});

  return {
    stdout: run.out,
    direct: run.sink !== null,
    done,
    abort: () => {
      if (settled || run.failedOnItsOwn) return false;
      run.stopped = true;
      plan.onAbort?.();
      if (!run.killTool()) run.out.destroy();
      return true;
    },
    warnings: () => run.warnings,
    ...(plan.sourceFingerprint
      ? {
          sourceFingerprint: async () => {
            await done;
            return plan.sourceFingerprint!();
          },
        }
      : {}),
  };
}
