import { pipeline } from "node:stream/promises";
import { HoldfastError, type Clock } from "@holdfast/shared";
import type { DumpHandle } from "../engines/types.js";
import type { StagedArtifact } from "../store/runs.js";
import { createCompressor } from "./compress.js";
import { HashTap } from "./hash.js";
import { ByteMeter } from "./meter.js";
import { openPartial } from "./stage.js";
import { throttle } from "./throttle.js";

export interface RunPipelineOptions {
  dump: DumpHandle;
  runDir: string;
  runId: string;
  clock: Clock;
  /** Raw (uncompressed) bytes so far; called at most once a second. */
  onProgress?: (rawBytes: number) => void;
}

function asStagingError(err: unknown): HoldfastError {
  if (err instanceof HoldfastError) return err;
  const code = (err as NodeJS.ErrnoException)?.code;
  return new HoldfastError("STAGING_FAILED", `Writing the artifact failed${code ? ` (${code})` : ""}`, code ? { cause: code } : undefined);
}

/**
 * dump stdout → byte meter → gzip → SHA-256 → `<runId>.sql.gz.partial`, with backpressure end to end.
 * The artifact is committed (renamed to its final name) only after BOTH the pipeline finished and the
 * dump tool exited 0; any failure removes the partial file.
 */
export async function runPipeline(opts: RunPipelineOptions): Promise<StagedArtifact> {
  // Observed at once so a dump failing mid-stream is never an unhandled rejection; awaited below.
  opts.dump.done.catch(() => {});
  let partial;
  try {
    partial = await openPartial(opts.runDir, opts.runId);
  } catch (err) {
    opts.dump.abort();
    await opts.dump.done.catch(() => {});
    throw asStagingError(err);
  }
  const meter = new ByteMeter(opts.onProgress ? throttle(opts.clock, 1000, opts.onProgress) : undefined);
  const hash = new HashTap();
  try {
    try {
      await pipeline(opts.dump.stdout, meter, createCompressor(), hash, partial.stream);
    } catch (err) {
      // If we had to stop a live dump, the pipeline's error is the cause; otherwise the tool's own failure is.
      const killed = opts.dump.abort();
      const dumpError = await opts.dump.done.then(() => null, (e: unknown) => e);
      throw asStagingError(!killed && dumpError ? dumpError : err);
    }
    await opts.dump.done;
    await partial.commit().catch((err: unknown) => {
      throw asStagingError(err);
    });
    return {
      sizeBytes: hash.bytes,
      rawSizeBytes: meter.bytes,
      sha256: hash.digest(),
      fileName: partial.finalPath.slice(opts.runDir.length + 1),
      stagingPath: partial.finalPath,
    };
  } catch (err) {
    await partial.discard();
    throw err;
  }
}
