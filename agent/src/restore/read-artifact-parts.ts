import { createHash } from "node:crypto";
import fs from "node:fs";
import { Readable } from "node:stream";
import { HoldfastError } from "@holdfast/shared/protocol";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";
import type { ArtifactFile } from "./read-sidecar.js";

export interface ReadPartsOptions {
  /** The whole artifact's size and SHA-256 (the sidecar's). */
  whole: { sizeBytes: number; sha256: string };
  /** Called after each chunk with the bytes read so far. */
  onBytes?: (bytes: number) => void;
  /** Called when a file was read to its end and matched. */
  onFileChecked?: (file: ArtifactFile) => void;
}

const mismatch = (message: string, details: Record<string, unknown>) => new HoldfastError("CHECKSUM_MISMATCH", `${message}; the target was not touched`, { stage: "verify", ...details }, false);

/**
 * The artifact's files joined in order as one stream, no copy on disk and flat memory: each file's
 * size and SHA-256 are checked as its last byte goes by, and the whole artifact's at the end; a
 * mismatch ends the stream with CHECKSUM_MISMATCH. Reading it to the end is the verification; a
 * restore reads it once more, so a file changed between the two is still caught (too late for the
 * target, but the restore fails instead of succeeding on wrong data).
 */
export function readArtifactParts(files: readonly ArtifactFile[], opts: ReadPartsOptions): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    const whole = createHash("sha256");
    let total = 0;
    for (const f of files) {
      const hash = createHash("sha256");
      let bytes = 0;
      for await (const chunk of fs.createReadStream(f.file, { highWaterMark: PIPELINE_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > f.sizeBytes) throw mismatch(`${f.label} is longer than ${f.sizeBytes} bytes: ${f.file}`, { file: f.file, expectedBytes: f.sizeBytes });
        hash.update(chunk);
        whole.update(chunk);
        total += chunk.length;
        yield chunk;
        opts.onBytes?.(total);
      }
      if (bytes !== f.sizeBytes) throw mismatch(`${f.label} has ${bytes} bytes, not ${f.sizeBytes}: ${f.file}`, { file: f.file, expectedBytes: f.sizeBytes, actualBytes: bytes });
      const actual = hash.digest("hex");
      if (actual !== f.sha256) throw mismatch(`${f.label} does not match its SHA-256: ${f.file}`, { file: f.file, expectedSha256: f.sha256, actualSha256: actual });
      opts.onFileChecked?.(f);
    }
    const actual = whole.digest("hex");
    if (total !== opts.whole.sizeBytes || actual !== opts.whole.sha256) {
      throw mismatch("The joined artifact does not match its SHA-256", { expectedSha256: opts.whole.sha256, actualSha256: actual, expectedBytes: opts.whole.sizeBytes, actualBytes: total });
    }
  }
  return Readable.from(chunks(), { objectMode: false, highWaterMark: PIPELINE_CHUNK_BYTES });
}

/** Reads every file through `readArtifactParts` and drops the bytes: resolves when all matched. */
export async function verifyArtifactParts(files: readonly ArtifactFile[], opts: ReadPartsOptions): Promise<void> {
  for await (const _chunk of readArtifactParts(files, opts)) {
    // Only the checks matter here.
  }
}
