import { HoldfastError, type Clock, type Codec } from "@holdfast/shared/protocol";
import type { DumpHandle, DumpSink } from "../engines/types.js";
import type { StagedArtifact } from "../staging/staged-artifact.js";
import type { CodecTools } from "./codec.js";
import { HashTap } from "./hash.js";
import { ByteMeter } from "./meter.js";
import { Reclaimer } from "./reclaim.js";
import { trackGrowing, type GrowingWriter } from "../staging/growing-artifact.js";
import { openPartial } from "../staging/partial-file.js";
import { openStages, type Stages } from "./stages.js";
import { throttle } from "./throttle.js";

export interface RunPipelineOptions {
  /** A running dump, or a starter: given a codec's stdin, an engine that can writes into it directly. */
  dump: DumpHandle | DumpStarter;
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
  /** Raw (uncompressed) bytes so far; called once a second. */
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
async function stageFailureWithin(stages: Array<{ done: Promise<void> }>, ms: number): Promise<unknown> {
  // Downstream first: in a chain of children, the one that died takes the one writing into it along.
  const failures = await Promise.all([...stages].reverse().map((s) => failureWithin(s.done, ms)));
  return failures.find((f) => f instanceof HoldfastError) ?? failures.find((f) => f !== null) ?? null;
}

function asStagingError(err: unknown): HoldfastError {
  if (err instanceof HoldfastError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  return new HoldfastError("STAGING_FAILED", `Writing the artifact failed${code ? ` (${code})` : ""}`, code ? { cause: code } : undefined);
}

/** Starts the dump; `stdoutTo`, when given, is where its tools may write directly: a codec's stdin or the staged file. */
export type DumpStarter = (stdoutTo?: DumpSink) => Promise<DumpHandle>;

/**
 * dump → codec → [age] → SHA-256 → `<runId><ext>.partial`, with backpressure end to end. zstd (and
 * the age tool) run as a chain of children the dump writes into directly where its engine can; other
 * codecs take the bytes through the agent. The artifact is committed (renamed to its final name) only
 * after the pipeline finished, the dump tool AND every child exited 0 (pipefail), and the dump wrote
 * at least one byte; any failure removes the partial file.
 */
export async function runPipeline(opts: RunPipelineOptions): Promise<StagedArtifact> {
  const given = typeof opts.dump === "function" ? null : opts.dump;
  // Observed at once so a dump failing mid-stream is never an unhandled rejection; awaited below.
  given?.done.catch(() => {});
  const abortGiven = async () => {
    if (!given) return;
    given.abort();
    await given.done.catch(() => {});
  };
  let partial;
  let growing: GrowingWriter | undefined;
  try {
    // A pull may follow the file while it grows: each write that reached the kernel is reported.
    partial = await openPartial(opts.runDir, opts.runId, opts.extension, (bytes) => growing?.wrote(bytes));
    growing = trackGrowing(opts.runId, partial.partialPath);
  } catch (err) {
    await abortGiven();
    throw asStagingError(err);
  }
  // Where the agent relays the raw bytes, the meter reports them as they pass (at most once a second);
  // with codec none and no encryption the hash stage does it: one JavaScript hop less per chunk.
  const report = opts.onProgress ? throttle(opts.clock, 1000, opts.onProgress) : undefined;
  const reclaimer = new Reclaimer();
  const meter = new ByteMeter(report, reclaimer);
  const rawIsStaged = (opts.compression?.codec ?? "gzip") === "none" && !opts.encryption;
  const hash = new HashTap(opts.partBytes, reclaimer, rawIsStaged ? report : undefined);
  let stopSampling = () => {};
  let stages: Stages | undefined;
  try {
    let dump: DumpHandle;
    try {
      stages = await openStages(opts, meter, hash, partial, (bytes) => growing?.wrote(bytes));
    } catch (err) {
      await abortGiven();
      throw err;
    }
    try {
      dump = given ?? (await (opts.dump as DumpStarter)(stages.directInput ?? undefined));
    } catch (err) {
      for (const stage of stages.all) stage.abort();
      throw err;
    }
    dump.done.catch(() => {});
    if (opts.onProgress && dump.direct) stopSampling = sampleProgress(opts.clock, stages, opts.onProgress);
    try {
      await stages.flow(dump, [hash, partial.stream]);
    } catch (err) {
      // A broken pipe (or, in a chain, a dump tool that lost its reader) means a child may have died:
      // give its exit a moment to be seen before we kill anything, so its own failure (e.g. SIGKILL)
      // is reported rather than our clean-up.
      const code = (err as NodeJS.ErrnoException)?.code;
      const mayBeChild = dump.direct || code === "EPIPE" || code === "ERR_STREAM_PREMATURE_CLOSE";
      const codecOwn = mayBeChild ? await stageFailureWithin(stages.all, CODEC_EXIT_GRACE_MS) : null;
      const killedDump = dump.abort();
      for (const stage of stages.all) stage.abort();
      const dumpError = await dump.done.then(() => null, (e: unknown) => e);
      for (const stage of stages.all) await stage.done.catch(() => {});
      const stagingOwn = err instanceof HoldfastError && err.code === "STAGING_FAILED" ? err : null;
      const cause = codecOwn ?? stagingOwn ?? (!killedDump && dumpError ? dumpError : err);
      throw asStagingError(cause);
    }
    await dump.done;
    for (const stage of stages.all) await stage.done;
    const rawSizeBytes = stages.rawBytes();
    // Sampled once a second, a short direct dump would show no progress at all: its total, once.
    if (dump.direct && rawSizeBytes > 0) opts.onProgress?.(rawSizeBytes);
    if (rawSizeBytes === 0) {
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
      rawSizeBytes,
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
  } finally {
    stopSampling();
    stages?.release();
  }
}

/** Where the dump writes into the codec directly, nothing passes the meter: ask the chain once a second. */
function sampleProgress(clock: Clock, stages: Stages, report: (bytes: number) => void): () => void {
  let cancel = () => {};
  const tick = () => {
    const bytes = stages.rawSoFar();
    if (bytes !== null && bytes > 0) report(bytes);
    cancel = clock.setTimeout(tick, 1000);
  };
  cancel = clock.setTimeout(tick, 1000);
  return () => cancel();
}
