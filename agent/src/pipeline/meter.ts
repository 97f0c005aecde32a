import { Transform, type TransformCallback } from "node:stream";
import { Reclaimer } from "./reclaim.js";

/** Counts bytes going through (the raw dump size) and reports the running total; keeps memory flat (reclaim.ts). */
export class ByteMeter extends Transform {
  bytes = 0;

  /** `reclaimer`: shared with the other stages of one pipeline, so all their chunks count toward one collection. */
  constructor(
    private readonly onBytes: (total: number) => void = () => {},
    private readonly reclaimer = new Reclaimer(),
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes(this.bytes);
    this.reclaimer.count(chunk.length);
    cb(null, chunk);
  }
}
