import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/** Passes bytes through unchanged while hashing them: the SHA-256 is of exactly what gets staged. */
export class HashTap extends Transform {
  private readonly hash: Hash = createHash("sha256");
  bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  /** Hex digest; call once, after the stream finished. */
  digest(): string {
    return this.hash.digest("hex");
  }
}
