import { Duplex, PassThrough } from "node:stream";
import zlib from "node:zlib";
import { HoldfastError, type Codec } from "@holdfast/shared/protocol";
import { killTree, spawnFilter, toolEnv, type ToolExit } from "../engines/spawn-tool.js";
import { PIPELINE_CHUNK_BYTES } from "./chunk-size.js";

/**
 * One compression (or decompression) stage of a pipeline. `done` settles once the stage is over: for
 * a child process, after it exited; it rejects when the codec failed (pipefail: a codec that dies
 * fails the run even if the bytes before it looked fine).
 */
export interface CodecStage {
  stream: Duplex;
  done: Promise<void>;
  /** Stops a child codec; false when there is none or it already exited. */
  abort(): boolean;
}

export interface CodecTools {
  /** The `zstd` binary; "zstd" on PATH by default. */
  zstdPath?: string;
  /** The `age` tool for encryption; "age" on PATH by default, the age-encryption library when it does not answer. */
  agePath?: string;
}

/** Nothing of the agent's own environment reaches a codec child. */
export const CODEC_ENV: NodeJS.ProcessEnv = toolEnv();

/** A codec child's non-zero exit as DUMP_FAILED with its stderr, unless `classify` names the failure better. */
export function toolFailure(tool: string, exit: ToolExit, classify?: (stderr: string) => HoldfastError | null): HoldfastError {
  const stderr = exit.stderrTail.trim();
  const own = classify?.(stderr);
  if (own) return own;
  const why = exit.signal ? `was stopped by ${exit.signal}` : `exited with code ${exit.code}`;
  return new HoldfastError("DUMP_FAILED", `${tool} ${why}`, { tool, exitCode: exit.code, signal: exit.signal, stderr });
}

function inProcess(stream: Duplex): CodecStage {
  const done = new Promise<void>((resolve, reject) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", reject);
  });
  done.catch(() => {});
  return { stream, done, abort: () => false };
}

/**
 * A tool in the middle of the pipeline (zstd, age) as one stage: its exit is awaited (pipefail) and a
 * non-zero one is DUMP_FAILED with the tool's stderr, unless `classify` names the failure better.
 */
export function childStage(tool: string, bin: string, args: readonly string[], classify?: (stderr: string) => HoldfastError | null): CodecStage {
  const child = spawnFilter(tool, bin, args, CODEC_ENV);
  const done = child.exited.then((exit) => {
    if (exit.code !== 0) throw toolFailure(tool, exit, classify);
  });
  done.catch(() => {});
  // A missing binary surfaces as `done` rejecting TOOL_NOT_FOUND; the stream error is only its echo.
  const stream = Duplex.from({ writable: child.stdin, readable: child.stdout });
  // Duplex.from does not always destroy a readable half that already ended but still holds unread
  // bytes; then the child's stdout never closes and `done` (its 'close') never settles. A reader that
  // gave up (a restore that refused the artifact part way) must not leave it waiting.
  stream.once("close", () => {
    if (!child.stdout.destroyed) child.stdout.destroy();
  });
  return { stream, done, abort: () => killTree(child.child) };
}

/**
 * zstd as a child process: the `zstd` tool measured about 3x the speed of the zstd-napi binding
 * (0.69 s against 2.13 s for -3 on 684 MB), and it compresses on another core (docs/decisions.md,
 * "Backup options").
 */
function zstdChild(args: string[], tools: CodecTools): CodecStage {
  return childStage("zstd", tools.zstdPath ?? "zstd", args);
}

/** The compressor for a codec and level; gzip in-process (node:zlib, 1 MiB chunks), zstd as a child. */
export function createEncoder(codec: Codec, level: number | null, tools: CodecTools = {}): CodecStage {
  switch (codec) {
    case "gzip":
      return inProcess(zlib.createGzip({ level: level ?? 6, chunkSize: PIPELINE_CHUNK_BYTES }));
    case "zstd":
      return zstdChild(["-q", "-c", `-${level ?? 3}`, "-T0"], tools);
    case "none":
      return inProcess(new PassThrough({ highWaterMark: PIPELINE_CHUNK_BYTES }));
  }
}

/** The matching decompressor, for restores. */
export function createDecoder(codec: Codec, tools: CodecTools = {}): CodecStage {
  switch (codec) {
    case "gzip":
      return inProcess(zlib.createGunzip({ chunkSize: PIPELINE_CHUNK_BYTES }));
    case "zstd":
      return zstdChild(["-q", "-d", "-c"], tools);
    case "none":
      return inProcess(new PassThrough({ highWaterMark: PIPELINE_CHUNK_BYTES }));
  }
}

/** Re-exported: the name's extension is part of the contract (shared/backup-options.ts). */
export { artifactExtension } from "@holdfast/shared/protocol";
