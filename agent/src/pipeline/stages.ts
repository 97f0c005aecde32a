import fs from "node:fs";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError } from "@holdfast/shared/protocol";
import type { DumpHandle, DumpSink } from "../engines/types.js";
import type { PartialFile } from "../staging/partial-file.js";
import { createEncoder, type CodecStage } from "./codec.js";
import { ageInChain, openCodecChain, type CodecChain } from "./codec-chain.js";
import { createEncryptStage } from "./encrypt.js";
import { followFile } from "./follow-file.js";
import type { HashTap } from "./hash.js";
import type { ByteMeter } from "./meter.js";
import type { RunPipelineOptions } from "./run-pipeline.js";
import { teeToFile } from "./tee-file.js";

/**
 * The three layouts of a backup's stages between the dump and the hash (run-pipeline.ts runs them):
 * a chain of children the dump writes into (zstd, gzip by zstd, the age tool), the dump tool writing
 * the staged file itself (codec none), or every byte relayed through the agent (the rest).
 */
export interface Stages {
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
  /** Lets go of what the agent still holds of the stages (its copy of a pipe's end), whatever the outcome. */
  release(): void;
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
        await Promise.all([pipeline([dump.stdout, meter, chain.inputStream()]), output, ...children]);
      }
    },
    rawBytes: () => (relayed ? meter.bytes : chain.rawBytes()),
    rawSoFar: () => chain.rawBytesSoFar(),
    release: () => chain.releaseInput(),
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
    release: () => {},
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
    release: () => {},
  };
}

/** STAGING_FAILED (ENOSPC) when the staging file system has no room left, else null. */
async function stagingFull(file: string): Promise<HoldfastError | null> {
  const fsStats = await fs.promises.statfs(path.dirname(file)).catch(() => null);
  if (!fsStats || fsStats.bavail * fsStats.bsize >= 64 * 1024) return null;
  return new HoldfastError("STAGING_FAILED", "Writing the artifact failed (ENOSPC)", { cause: "ENOSPC" });
}

/** `meter` counts the raw bytes where the agent relays them; with codec none and no encryption the hash does. */
export async function openStages(opts: RunPipelineOptions, meter: ByteMeter, hash: HashTap, partial: PartialFile, onHashed: (totalBytes: number) => void): Promise<Stages> {
  const { codec, level } = opts.compression ?? { codec: "gzip", level: 6 };
  const tools = opts.tools ?? {};
  // zstd, and gzip as the zstd tool writes it (zlib's deflate, faster than gzip(1) at every level
  // measured), run as a chain of children. The drill's plaintext copy sits between codec and age:
  // that one keeps the relay, as does a zstd that cannot write gzip (gzip in-process then).
  if ((codec === "zstd" || codec === "gzip") && !opts.plainCopyPath) {
    const ageTool = await ageInChain(opts.encryption?.recipient, tools);
    const chain = await openCodecChain(codec, level ?? (codec === "zstd" ? 3 : 6), tools, ageTool, opts.runDir);
    if (chain) {
      let library: CodecStage | null = null;
      try {
        library = opts.encryption && !ageTool ? await createEncryptStage(opts.encryption.recipient, tools) : null;
      } catch (err) {
        for (const stage of chain.stages) stage.abort();
        throw err;
      }
      return chainStages(chain, library, meter);
    }
  }
  if (codec === "none" && !opts.encryption && typeof opts.dump === "function") return fileStages(partial, hash, onHashed);
  // Codec `none` adds no stage at all: its pass-through would only cost a hop per chunk.
  const encoder = codec === "none" ? null : createEncoder(codec, level, tools);
  try {
    const encrypt = opts.encryption ? await createEncryptStage(opts.encryption.recipient, tools) : null;
    return relayedStages(encoder, encrypt, opts.plainCopyPath, codec === "none" && !opts.encryption ? null : meter, hash);
  } catch (err) {
    encoder?.abort();
    throw err;
  }
}

