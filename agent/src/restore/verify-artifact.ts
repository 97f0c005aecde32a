import { createHash } from "node:crypto";
import fs from "node:fs";
import { pipeline } from "node:stream/promises";
import { HoldfastError } from "@holdfast/shared/protocol";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";

/**
 * The downloaded file must be exactly the artifact the backup recorded: its size, then the SHA-256
 * of every byte, read back from disk (what the restore will read). CHECKSUM_MISMATCH otherwise.
 */
export async function verifyArtifact(file: string, expected: { sizeBytes: number; sha256: string }): Promise<void> {
  const st = await fs.promises.lstat(file);
  if (!st.isFile() || st.size !== expected.sizeBytes) {
    throw new HoldfastError("CHECKSUM_MISMATCH", `The downloaded artifact has ${st.size} bytes, not ${expected.sizeBytes}`, {
      stage: "verify",
      expectedBytes: expected.sizeBytes,
      actualBytes: st.size,
    }, false);
  }
  const hash = createHash("sha256");
  await pipeline(fs.createReadStream(file, { highWaterMark: PIPELINE_CHUNK_BYTES }), hash);
  const actual = hash.digest("hex");
  if (actual !== expected.sha256) {
    throw new HoldfastError("CHECKSUM_MISMATCH", "The downloaded artifact does not match its SHA-256; the target was not touched", {
      stage: "verify",
      expectedSha256: expected.sha256,
      actualSha256: actual,
    }, false);
  }
}
