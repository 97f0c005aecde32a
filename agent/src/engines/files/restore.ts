import fs from "node:fs";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError, type FilesConnection } from "@holdfast/shared/protocol";
import { createDecoder, type CodecTools } from "../../pipeline/codec.js";
import type { RestoreOptions, RestoreResult } from "../types.js";
import { targetNotEmpty } from "../restore-target.js";
import { extractSafely } from "./safe-extract.js";
import { lazyRequire } from "../../lazy-require.js";

/** Loaded on first use: most agents never pack or unpack a tar. */
const tarStream = lazyRequire<typeof import("tar-stream")>("tar-stream");

export interface FilesRestoreRun {
  artifact: Readable;
  target: FilesConnection;
  opts: RestoreOptions;
  tools?: CodecTools;
}

/**
 * The restore target's root, resolved: created (0750, with parents) when missing; refused when it is
 * not a directory; RESTORE_TARGET_NOT_EMPTY when it holds anything and `overwrite` is off — all before
 * a byte of the artifact is read.
 */
async function prepareRoot(target: string, overwrite: boolean): Promise<string> {
  const st = await fs.promises.stat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw new HoldfastError("RESTORE_FAILED", `The restore target ${target} cannot be inspected (${err.code})`, { stage: "target", path: target, cause: err.code });
  });
  if (!st) {
    await fs.promises.mkdir(target, { recursive: true, mode: 0o750 });
  } else if (!st.isDirectory()) {
    throw new HoldfastError("RESTORE_FAILED", `The restore target ${target} is not a folder`, { stage: "target", path: target });
  } else {
    const entries = await fs.promises.readdir(target);
    if (entries.length > 0 && !overwrite) {
      throw targetNotEmpty(`The restore target ${target} is not empty (${entries.length} entries)`, { path: target, entries: entries.length });
    }
  }
  return fs.promises.realpath(target);
}

/**
 * Restores a files artifact (a tar, compressed by `opts.codec`) under `target.path`, through
 * extractSafely (every refusal there stops the restore: RESTORE_FAILED, stage `extract`, the entry's
 * name escaped). With `overwrite`, entries of the archive replace what is at their paths; anything
 * else already in the target stays. A restore that stops part way leaves what it already wrote.
 */
export async function restoreFolder(run: FilesRestoreRun): Promise<RestoreResult> {
  const started = performance.now();
  if (run.opts.format !== "tar") throw new HoldfastError("VALIDATION_FAILED", `A files datasource restores only the "tar" format, not "${run.opts.format}"`);
  const root = await prepareRoot(run.target.path, run.opts.overwrite ?? false);
  const decoder = createDecoder(run.opts.codec, run.tools);
  const extract = tarStream().extract();
  // Pipeline spreads one stage's error to every stage: the first one seen says where it started.
  let origin: "decompress" | "extract" | null = null;
  decoder.stream.once("error", () => (origin ??= "decompress"));
  extract.once("error", () => (origin ??= "extract"));
  const consumed = extractSafely(extract, root).catch((err: unknown) => {
    // A refused entry stops the reading side too, so neither half waits for the other.
    extract.destroy(err as Error);
    throw err;
  });
  const fed = pipeline(run.artifact, decoder.stream, extract as unknown as NodeJS.WritableStream);
  const [consumedResult, fedResult] = await Promise.allSettled([consumed, fed]);
  const codecError = await decoder.done.then(
    () => null,
    (err: unknown) => err,
  );
  if (consumedResult.status === "rejected" && consumedResult.reason instanceof HoldfastError) throw consumedResult.reason;
  // A codec child that failed (zstd's exit code and stderr) is a decompression failure whatever the streams said.
  if (codecError instanceof HoldfastError || (codecError && origin === "decompress")) {
    const details = codecError instanceof HoldfastError ? { stderr: codecError.details?.stderr } : { cause: (codecError as NodeJS.ErrnoException).code ?? String(codecError) };
    throw new HoldfastError("RESTORE_FAILED", "The restore stopped while decompressing", { stage: "decompress", ...details });
  }
  const failure = consumedResult.status === "rejected" ? consumedResult.reason : fedResult.status === "rejected" ? fedResult.reason : null;
  if (failure) {
    const code = (failure as NodeJS.ErrnoException).code;
    throw new HoldfastError("RESTORE_FAILED", `The restore stopped while unpacking: ${failure instanceof Error ? failure.message : String(failure)}`, { stage: "extract", ...(code ? { cause: code } : {}) });
  }
  const { warnings } = (consumedResult as PromiseFulfilledResult<Awaited<typeof consumed>>).value;
  return { durationMs: Math.round(performance.now() - started), warnings };
}
