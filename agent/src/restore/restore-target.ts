import fs from "node:fs";
import type { Readable } from "node:stream";
import { HoldfastError, type Codec, type DatasourceConnection, type DumpFormat, type Engine as EngineName } from "@holdfast/shared/protocol";
import { engineFor } from "../engines/registry.js";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";
import { openDecrypted } from "../pipeline/encrypt.js";
import type { RunContext } from "../runs/context.js";
import type { Engine } from "../engines/types.js";

export interface RestoreTargetOptions {
  format: DumpFormat;
  codec: Codec;
  overwrite: boolean;
  /** Apply the cluster globals a plain PostgreSQL dump or a whole-server backup carries. */
  globals?: boolean;
  /** A whole-server backup: which of its databases, and under which names (RestoreRequestOptions). */
  databases?: { include?: string[] | undefined; exclude?: string[] | undefined };
  rename?: Record<string, string>;
  /** The age identity of an encrypted artifact (held in memory for this restore only); absent for a plain one. */
  identity?: string;
  /** Aborted when the run is cancelled, times out or the agent stops: the restore should stop. */
  signal: AbortSignal;
}

/**
 * What the restore runner hands a verified artifact to. The file is complete and its SHA-256 matched
 * before `restore` is called; nothing before it touched the target. Rejects with a catalog error
 * (RESTORE_TARGET_NOT_EMPTY before touching a non-empty target without `overwrite`; RESTORE_FAILED
 * with the tool's stderr tail in details when it stopped part way).
 */
export interface RestoreTarget {
  restore(file: string, target: DatasourceConnection, opts: RestoreTargetOptions): Promise<{ warnings: string[] }>;
}

/**
 * THE integration point between the restore transport and the engines: the engine's
 * `restore(stream, target, opts)` fed from the verified file, with the stream destroyed on abort (the
 * engine's pipeline then stops its tool). FEATURE_NOT_AVAILABLE when the agent has no such engine.
 */
export function restoreTargetFor(ctx: Pick<RunContext, "engines">, engineName: EngineName): RestoreTarget {
  const engine = engineFor(ctx.engines, engineName);
  return {
    restore: (file, target, opts) => restoreStream(engine, fs.createReadStream(file, { highWaterMark: PIPELINE_CHUNK_BYTES }), target, opts),
  };
}

/**
 * The one restore pipeline, for a restore from the control plane (a downloaded file) and one from a
 * local folder (its parts joined, `holdfast-agent restore --from`): decrypt when given an identity,
 * then the engine's restore (which decompresses and runs its tool). `stored` is the artifact as
 * stored, already verified; it is destroyed in every outcome.
 */
export async function restoreStream(engine: Engine, stored: Readable, target: DatasourceConnection, opts: RestoreTargetOptions): Promise<{ warnings: string[] }> {
  // Decrypting streams from the verified bytes: the header is checked before the engine starts
  // (DECRYPTION_FAILED leaves the target untouched), and no plaintext copy ever lands on disk.
  let artifact: Readable;
  try {
    artifact = opts.identity === undefined ? stored : await openDecrypted(stored, opts.identity);
  } catch (err) {
    stored.destroy();
    throw err;
  }
  const stop = () => artifact.destroy(new HoldfastError("RESTORE_FAILED", "The restore was stopped", { stage: "restore" }));
  if (opts.signal.aborted) stop();
  opts.signal.addEventListener("abort", stop, { once: true });
  try {
    const result = await engine.restore(artifact, target, {
      format: opts.format,
      codec: opts.codec,
      overwrite: opts.overwrite,
      globals: opts.globals ?? false,
      ...(opts.databases ? { databases: opts.databases } : {}),
      ...(opts.rename ? { rename: opts.rename } : {}),
    });
    return { warnings: result.warnings };
  } finally {
    opts.signal.removeEventListener("abort", stop);
    artifact.destroy();
    stored.destroy();
  }
}
