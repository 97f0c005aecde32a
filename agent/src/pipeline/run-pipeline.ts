import fs from "node:fs";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError, type Clock, type Codec } from "@holdfast/shared/protocol";
import type { DumpHandle, DumpSink } from "../engines/types.js";
import type { StagedArtifact } from "../staging/staged-artifact.js";
import { createEncoder, type CodecStage, type CodecTools } from "./codec.js";
import { ageInChain, openCodecChain, type CodecChain } from "./codec-chain.js";
import { createEncryptStage } from "./encrypt.js";
import { HashTap } from "./hash.js";
import { ByteMeter } from "./meter.js";
import { Reclaimer } from "./reclaim.js";
import { trackGrowing, type GrowingWriter } from "../staging/growing-artifact.js";
import { openPartial, type PartialFile } from "../staging/partial-file.js";
import { followFile } from "./follow-file.js";
import { teeToFile } from "./tee-file.js";
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

interface Stages {
  /** Children and in-process stages, upstream first: their `done` carries their own failure. */
  all: Array<{ done: Promise<void>; abort(): boolean }>;
  /** Runs the bytes from the dump to the partial file; resolves once both ends are done. */
  flow(dump: DumpHandle, tail: NodeJS.WritableStream[]): Promise<void>;
  /** The raw (dump) bytes, once `flow` and every stage are done. */
  rawBytes(): number;
  /** Raw bytes so far where the meter does not see them (a direct dump), for progress; null: unknown. */
  rawSoFar(): number | null;
  /** Where a dump tool may write directly: the first child's stdin, or the staged file (codec none). */
  directInput: DumpSink | null;
}

/**
 * dump → zstd → [age] as a chain of children wired fd to fd (codec-chain.ts), the agent reading only
 * the last output; the dump writes into zstd itself when its engine can, else the agent relays it.
 */
function chainStages(chain: CodecChain, encryptAfter: CodecStage | null, meter: ByteMeter): Stages {
  let relayed = false;
  return {
    all: [...chain.stages, ...(encryptAfter ? [encryptAfter] : [])],
    directInput: chain.input,
    async flow(dump, tail) {
      const output = pipeline([chain.output, ...(encryptAfter ? [encryptAfter.stream] : []), ...tail]);
      output.catch(() => {});
      // A child's death ends the flow at once: its output just ends, and a dump tool writing into it
      // may not notice (pipefail, as the children are awaited below anyway).
      const children = chain.stages.map((s) => s.done);
      if (dump.direct) {
        dump.stdout.resume();
        await Promise.all([dump.done.finally(() => chain.releaseInput()), output, ...children]);
      } else {
        relayed = true;
        await Promise.all([pipeline([dump.stdout, meter, chain.input]), output, ...children]);
      }
    },
    rawBytes: () => (relayed ? meter.bytes : chain.rawBytes()),
    rawSoFar: () => chain.rawBytesSoFar(),
  };
}

/**
 * dump → meter → codec (in-process or a child, relayed) → [age] → ...: every byte through the agent.
 * No meter (null) when the staged bytes are the raw ones: the hash counts them.
 */
function relayedStages(encoder: CodecStage | null, encrypt: CodecStage | null, plainCopyPath: string | undefined, meter: ByteMeter | null, hash: HashTap): Stages {
  return {
    all: [encoder, encrypt].filter((s): s is CodecStage => s !== null),
    directInput: null,
    async flow(dump, tail) {
      // Compress before encrypting: ciphertext does not compress.
      const middle: NodeJS.ReadWriteStream[] = meter ? [meter] : [];
      if (encoder) middle.push(encoder.stream);
      if (encrypt && plainCopyPath) middle.push(teeToFile(plainCopyPath));
      if (encrypt) middle.push(encrypt.stream);
      await pipeline([dump.stdout, ...middle, ...tail]);
    },
    rawBytes: () => (meter ?? hash).bytes,
    rawSoFar: () => null,
  };
}

/**
 * Codec none: the dump tool writes the staged file itself (given its descriptor as stdout), and the
 * agent reads it back behind the writer to hash it (follow-file.ts), from the page cache: no byte
 * crosses a pipe into the agent. A dump that cannot (in-process engines) is written as before.
 */
function fileStages(partial: PartialFile, hash: HashTap, onHashed: (totalBytes: number) => void): Stages {
  return {
    all: [],
    directInput: partial.fd,
    async flow(dump, tail) {
      if (!dump.direct) return pipeline([dump.stdout, ...tail]);
      dump.stdout.resume();
      // The hash's output goes nowhere: the bytes are already in the file, where a pull may now read them.
      const hashed = pipeline(
        Readable.from(followFile(partial.fd, dump.done)),
        hash,
        new Writable({ write: (_c, _e, cb) => (onHashed(hash.bytes), cb()) }),
      );
      hashed.catch(() => {});
      // The tool met a full disk itself: that is the staging's failure, as when the agent writes.
      const written = dump.done.catch(async (err: unknown) => {
        throw (await stagingFull(partial.partialPath)) ?? err;
      });
      await Promise.all([written, hashed]);
    },
    rawBytes: () => hash.bytes,
    rawSoFar: () => null,
  };
}

/** STAGING_FAILED (ENOSPC) when the staging file system has no room left, else null. */
async function stagingFull(file: string): Promise<HoldfastError | null> {
  const fsStats = await fs.promises.statfs(path.dirname(file)).catch(() => null);
  if (!fsStats || fsStats.bavail * fsStats.bsize >= 64 * 1024) return null;
  return new HoldfastError("STAGING_FAILED", "Writing the artifact failed (ENOSPC)", { cause: "ENOSPC" });
}

async function openStages(opts: RunPipelineOptions, meter: ByteMeter | null, hash: HashTap, partial: PartialFile, onHashed: (totalBytes: number) => void): Promise<Stages> {
  const { codec, level } = opts.compression ?? { codec: "gzip", level: 6 };
  const tools = opts.tools ?? {};
  // zstd, and gzip as the zstd tool writes it (zlib's deflate, faster than gzip(1) at every level
  // measured), run as a chain of children. The drill's plaintext copy sits between codec and age:
  // that one keeps the relay, as does a zstd that cannot write gzip (gzip in-process then).
  if ((codec === "zstd" || codec === "gzip") && !opts.plainCopyPath) {
    const ageTool = await ageInChain(opts.encryption?.recipient, tools);
    const chain = await openCodecChain(codec, level ?? (codec === "zstd" ? 3 : 6), tools, ageTool);
    if (chain) {
      let library: CodecStage | null = null;
      try {
        library = opts.encryption && !ageTool ? await createEncryptStage(opts.encryption.recipient, tools) : null;
      } catch (err) {
        for (const stage of chain.stages) stage.abort();
        throw err;
      }
      return chainStages(chain, library, meter ?? new ByteMeter());
    }
  }
  if (codec === "none" && !opts.encryption && typeof opts.dump === "function") return fileStages(partial, hash, onHashed);
  // Codec `none` adds no stage at all: its pass-through would only cost a hop per chunk.
  const encoder = codec === "none" ? null : createEncoder(codec, level, tools);
  try {
    const encrypt = opts.encryption ? await createEncryptStage(opts.encryption.recipient, tools) : null;
    return relayedStages(encoder, encrypt, opts.plainCopyPath, meter, hash);
  } catch (err) {
    encoder?.abort();
    throw err;
  }
}

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
  try {
    let stages: Stages;
    let dump: DumpHandle;
    try {
      stages = await openStages(opts, rawIsStaged ? null : meter, hash, partial, (bytes) => growing?.wrote(bytes));
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
