import { Transform, type TransformCallback } from "node:stream";

/** Counts bytes going through (the raw dump size) and reports the running total. */
export class ByteMeter extends Transform {
  bytes = 0;

  constructor(private readonly onBytes: (total: number) => void = () => {}) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes(this.bytes);
    cb(null, chunk);
  }
}
