import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { HoldfastError, toErrorBody, type Codec, type DatasourceConnection, type DumpFormat, type Verification } from "@holdfast/shared/protocol";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";
import type { Engine, Fingerprint, ScratchTarget } from "../engines/types.js";
import { compareFingerprints } from "./compare-fingerprints.js";

export interface DrillInput {
  engine: Engine;
  source: DatasourceConnection;
  /** Names the scratch target (the run id). */
  drillId: string;
  /** The artifact as compressed, before any encryption: the agent never holds the private key. */
  file: string;
  format: DumpFormat;
  codec: Codec;
  /** The source as the dump saw it, when the engine could take it then; else it is taken now. */
  sourceFingerprint: Fingerprint | null;
  /** A backup of some tables only: tables the copy lacks are not held against it. */
  filtered: boolean;
  /** Where the drill's own clean-up problems go (a scratch that would not drop). */
  warn: (message: string) => void;
}

/**
 * The restore drill (docs/decisions.md, "Restore drill"): restore the artifact into a scratch target beside the source, compare
 * fingerprints, drop the scratch. Every failure becomes `verified: false` with its error: a drill
 * judges the backup, it never fails the run that made it. Never throws.
 */
export async function runDrill(input: DrillInput): Promise<Verification> {
  const started = performance.now();
  const { engine } = input;
  const elapsed = () => Math.round(performance.now() - started);
  let method = "restore into a scratch target, then compare";
  let scratch: ScratchTarget<DatasourceConnection> | null = null;
  try {
    if (!engine.createScratch || !engine.fingerprint) {
      throw new HoldfastError("FEATURE_NOT_AVAILABLE", `The ${engine.engine} engine has no restore drill`);
    }
    scratch = await engine.createScratch(input.source, input.drillId);
    const stored = fs.createReadStream(input.file, { highWaterMark: PIPELINE_CHUNK_BYTES });
    try {
      await engine.restore(stored, scratch.connection, { format: input.format, codec: input.codec, overwrite: false });
    } finally {
      stored.destroy();
    }
    const restored = await engine.fingerprint(scratch.connection);
    const source = input.sourceFingerprint ?? (await engine.fingerprint(input.source));
    method = source.method;
    const result = compareFingerprints(source, restored, { onlyRestored: input.filtered });
    return { ...result, method, durationMs: elapsed() };
  } catch (err) {
    return { verified: false, method, checked: 0, mismatches: [], error: toErrorBody(err), durationMs: elapsed() };
  } finally {
    if (scratch) {
      await scratch.drop().catch((err: unknown) => input.warn(`the drill's scratch target could not be removed: ${toErrorBody(err).message}`));
    }
  }
}
