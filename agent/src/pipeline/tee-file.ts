import fs from "node:fs";
import { Transform, type TransformCallback } from "node:stream";
import { PIPELINE_CHUNK_BYTES } from "./chunk-size.js";

/**
 * Passes bytes on and writes the same bytes to `file` (0600, created new), each chunk on disk before
 * it moves on, so the copy keeps the pipeline's backpressure. The drill of an encrypted backup reads
 * this copy of the compressed plaintext, which never leaves the agent's staging dir.
 */
export function teeToFile(file: string): Transform {
  const out = fs.createWriteStream(file, { flags: "wx", mode: 0o600, highWaterMark: PIPELINE_CHUNK_BYTES });
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      out.write(chunk, (err) => (err ? cb(err) : cb(null, chunk)));
    },
    flush(cb: TransformCallback) {
      out.end((err?: Error | null) => cb(err ?? null));
    },
    destroy(err, cb) {
      out.destroy();
      cb(err);
    },
  });
}
