import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import type { ArtifactPart } from "@holdfast/shared/protocol";
import type { Reclaimer } from "./reclaim.js";

/**
 * Passes bytes through unchanged while hashing them: the SHA-256 is of exactly what gets staged.
 * With `partBytes`, it also hashes each consecutive slice of that size, so a split artifact's parts
 * can each be checked at the destination without reading the whole again.
 */
export class HashTap extends Transform {
  private readonly hash: Hash = createHash("sha256");
  private readonly done: ArtifactPart[] = [];
  private part: Hash | null = null;
  private partStart = 0;
  bytes = 0;

  /**
   * `reclaimer`: the pipeline's (reclaim.ts), where every staged chunk passes; `onBytes` sees the
   * running total, for a pipeline whose staged bytes are its raw bytes (no meter in front).
   */
  constructor(
    private readonly partBytes?: number,
    private readonly reclaimer?: Reclaimer,
    private readonly onBytes?: (total: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    if (this.partBytes) this.hashParts(chunk, this.partBytes);
    this.bytes += chunk.length;
    this.reclaimer?.count(chunk.length);
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }

  private hashParts(chunk: Buffer, size: number): void {
    let at = 0;
    while (at < chunk.length) {
      this.part ??= createHash("sha256");
      const filled = this.bytes + at - this.partStart;
      const take = Math.min(size - filled, chunk.length - at);
      this.part.update(chunk.subarray(at, at + take));
      at += take;
      if (filled + take === size) this.closePart(this.partStart + size);
    }
  }

  private closePart(end: number): void {
    if (!this.part) return;
    this.done.push({ index: this.done.length + 1, offset: this.partStart, sizeBytes: end - this.partStart, sha256: this.part.digest("hex") });
    this.part = null;
    this.partStart = end;
  }

  /** Hex digest; call once, after the stream finished. */
  digest(): string {
    return this.hash.digest("hex");
  }

  /** The parts, the last one possibly shorter; call once, after the stream finished. Empty without `partBytes`. */
  parts(): ArtifactPart[] {
    if (this.partBytes) this.closePart(this.bytes);
    return this.done;
  }
}
