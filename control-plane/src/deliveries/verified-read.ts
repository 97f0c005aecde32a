import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { pipeline, type Readable, Transform } from "node:stream";
import { HoldfastError } from "@holdfast/shared";

export interface ByteRange {
  offset: number;
  sizeBytes: number;
  sha256: string;
}

/**
 * A range of the spool file as a stream that hashes what it passes and fails at its end, before
 * the last byte is acknowledged, when the bytes are not the ones recorded: a destination writes
 * atomically (temp + rename, S3's completed upload), so a bad part never lands under its name.
 */
export function readVerified(path: string, range: ByteRange, label: string): Readable {
  if (range.sizeBytes === 0) return verifiedStream(null, range, `${label} in the spool`);
  const source = createReadStream(path, { start: range.offset, end: range.offset + range.sizeBytes - 1, highWaterMark: 1024 * 1024 });
  return verifiedStream(source, range, `${label} in the spool`);
}

/**
 * `source` (the bytes of `range`, from the spool or another destination) checked the same way.
 * `whole`, when given, also hashes every byte passed: the artifact's hash across its parts in order.
 */
export function verifiedStream(source: Readable | null, range: ByteRange, label: string, whole?: Hash): Readable {
  const hash = createHash("sha256");
  let seen = 0;
  const tap = new Transform({
    readableHighWaterMark: 1024 * 1024,
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      whole?.update(chunk);
      seen += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      const digest = hash.digest("hex");
      if (seen === range.sizeBytes && digest === range.sha256) return done();
      done(
        new HoldfastError(
          "CHECKSUM_MISMATCH",
          `${label} no longer matches its SHA-256 (${seen} of ${range.sizeBytes} bytes read)`,
          { expected: range.sha256, actual: digest, bytes: seen },
          false,
        ),
      );
    },
  });
  // An empty range has no `end` to give: read nothing rather than the whole file.
  if (source === null || range.sizeBytes === 0) {
    source?.destroy();
    tap.end();
    return tap;
  }
  return pipeline(source, tap, () => {});
}
