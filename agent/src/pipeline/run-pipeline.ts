import { pipeline } from "node:stream/promises";
import { HoldfastError, type Clock, type Codec } from "@holdfast/shared";
import type { DumpHandle } from "../engines/types.js";
import type { StagedArtifact } from "../staging/staged-artifact.js";
import { createEncoder, type CodecStage, type CodecTools } from "./codec.js";
import { createEncryptStage } from "./encrypt.js";
import { HashTap } from "./hash.js";
import { ByteMeter } from "./meter.js";
import { trackGrowing, type GrowingWriter } from "../staging/growing-artifact.js";
import { openPartial } from "../staging/partial-file.js";
import { teeToFile } from "./tee-file.js";
import { throttle } from "./throttle.js";

export interface RunPipelineOptions {
  dump: DumpHandle;
  runDir: string;
  runId: string;
  clock: Clock;
  /** Absent: gzip -6 into `.sql.gz`, the walking skeleton's artifact. */
  compression?: { codec: Codec; level: number | null };
  /** The artifact's file extension (pipeline/codec.ts#artifactExtension); `.sql.gz` by default. */
  extension?: string;
  tools?: CodecTools;
  /** age-encrypt after compression for this public key; the hash is then of the encrypted bytes. */
  encryption?: { recipient: string };
  /** Also write the compressed bytes before encryption here (the restore drill of an encrypted backup). */
  plainCopyPath?: string;
  /** Split the stored bytes into parts of this size (hashed each); the file stays whole in staging. */
  partBytes?: number;
  /** Raw (uncompressed) bytes so far; called at most once a second. */
  onProgress?: (rawBytes: number) => void;
}

const CODEC_EXIT_GRACE_MS = 250;

/** The rejection of `p` if it settles within `ms`, else null (a still-running or successful stage). */
function failureWithin(p: Promise<void>, ms: number): Promise<unknown> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), ms);
    p.then(
      () => (clearTimeout(t), resolve(null)),
      (e: unknown) => (clearTimeout(t), resolve(e)),
    );
  });
}

/**
 * What failed among the stages within `ms`, else null: a child's own report (a HoldfastError: its
 * exit) before an in-process stage's echo of the pipeline's error.
 */
async function stageFailureWithin(stages: CodecStage[], ms: number): Promise<unknown> {
  const failures = await Promise.all(stages.map((s) => failureWithin(s.done, ms)));
  return failures.find((f) => f instanceof HoldfastError) ?? failures.find((f) => f !== null) ?? null;
}

function asStagingError(err: unknown): HoldfastError {
  if (err instanceof HoldfastError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  return new HoldfastError("STAGING_FAILED", `Writing the artifact failed${code ? ` (${code})` : ""}`, code ? { cause: code } : undefined);
}

/**
 * dump stdout → byte meter → codec → [age] → SHA-256 → `<runId><ext>.partial`, with backpressure end to end.
 * The artifact is committed (renamed to its final name) only after the pipeline finished, the dump
 * tool AND a child codec exited 0 (pipefail), and the dump wrote at least one byte; any failure
 * removes the partial file.
 */
export async function runPipeline(opts: RunPipelineOptions): Promise<StagedArtifact> {
  // Observed at once so a dump failing mid-stream is never an unhandled rejection; awaited below.
  opts.dump.done.catch(() => {});
  let partial;
  let growing: GrowingWriter | undefined;
  try {
    // A pull may follow the file while it grows: each write that reached the kernel is reported.
    partial = await openPartial(opts.runDir, opts.runId, opts.extension, (bytes) => growing?.wrote(bytes));
    growing = trackGrowing(opts.runId, partial.partialPath);
  } catch (err) {
    opts.dump.abort();
    await opts.dump.done.catch(() => {});
    throw asStagingError(err);
  }
  const meter = new ByteMeter(opts.onProgress ? throttle(opts.clock, 1000, opts.onProgress) : undefined);
  const hash = new HashTap(opts.partBytes);
  try {
    const { codec, level } = opts.compression ?? { codec: "gzip", level: 6 };
    // Codec `none` adds no stage at all: its pass-through would only cost a hop per chunk.
    let encoder: CodecStage | null = null;
    let encrypt: CodecStage | null = null;
    try {
      encoder = codec === "none" ? null : createEncoder(codec, level, opts.tools);
      encrypt = opts.encryption ? await createEncryptStage(opts.encryption.recipient, opts.tools) : null;
    } catch (err) {
      encoder?.abort();
      opts.dump.abort();
      await opts.dump.done.catch(() => {});
      throw err;
    }
    const stages = [encoder, encrypt].filter((s): s is CodecStage => s !== null);
    try {
      // Compress before encrypting: ciphertext does not compress.
      const middle: NodeJS.ReadWriteStream[] = [meter];
      if (encoder) middle.push(encoder.stream);
      if (encrypt && opts.plainCopyPath) middle.push(teeToFile(opts.plainCopyPath));
      if (encrypt) middle.push(encrypt.stream);
      await pipeline([opts.dump.stdout, ...middle, hash, partial.stream]);
    } catch (err) {
      // A broken pipe means a child codec (zstd, age) may have died: give its exit a moment to be seen
      // before we kill anything, so its own failure (e.g. SIGKILL) is reported rather than our clean-up.
      const code = (err as NodeJS.ErrnoException)?.code;
      const codecOwn = code === "EPIPE" || code === "ERR_STREAM_PREMATURE_CLOSE" ? await stageFailureWithin(stages, CODEC_EXIT_GRACE_MS) : null;
      const killedDump = opts.dump.abort();
      for (const stage of stages) stage.abort();
      const dumpError = await opts.dump.done.then(() => null, (e: unknown) => e);
      for (const stage of stages) await stage.done.catch(() => {});
      const cause = codecOwn ?? (!killedDump && dumpError ? dumpError : err);
      throw asStagingError(cause);
    }
    await opts.dump.done;
    for (const stage of stages) await stage.done;
    if (meter.bytes === 0) {
      // A dump tool that "succeeded" without a byte is never a backup (docs/decisions.md, "No false greens").
      throw new HoldfastError("DUMP_FAILED", "The dump tool exited 0 but wrote nothing", { rawSizeBytes: 0 });
    }
    await partial.commit().catch((err: unknown) => {
      throw asStagingError(err);
    });
    const parts = hash.parts();
    const sha256 = hash.digest();
    // Only now (finished, checked, fsynced, renamed) may a following pull end its request.
    growing.committed(partial.finalPath, hash.bytes, sha256);
    return {
      sizeBytes: hash.bytes,
      rawSizeBytes: meter.bytes,
      sha256,
      ...(opts.partBytes ? { parts } : {}),
      fileName: partial.finalPath.slice(opts.runDir.length + 1),
      stagingPath: partial.finalPath,
    };
  } catch (err) {
    // A following pull is aborted first: its request must never end as if the file were whole.
    growing.failed(err);
    await partial.discard();
    throw err;
  }
}
