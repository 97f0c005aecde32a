import { Transform } from "node:stream";
import type { TokenBucket } from "./token-bucket.js";

/**
 * A stream that passes its bytes at the bucket's pace: each chunk goes out in slices the bucket
 * grants (views of the chunk, never copies), and the next chunk is taken only once the last slice of
 * this one went, so it holds one chunk at most and its source waits (backpressure, down to TCP for
 * a request body). The bucket's rate is read per chunk: a change reaches a transfer under way. While
 * it is unlimited a chunk passes as is, with no clock read and no timer.
 */
export function throttle(bucket: TokenBucket): Transform {
  let pending: { cancel(): void } | null = null;
  const stream: Transform = new Transform({
    // Nothing queued in front of the chunk being passed: the writer waits for it.
    writableHighWaterMark: 0,
    transform(chunk: Buffer, _enc, done) {
      if (bucket.rate === null) return done(null, chunk);
      const pass = (offset: number): void => {
        if (offset >= chunk.length) return done();
        const request = bucket.take(chunk.length - offset);
        pending = request;
        request.granted.then((n) => {
          pending = null;
          if (stream.destroyed) return;
          stream.push(chunk.subarray(offset, offset + n));
          pass(offset + n);
        }, done);
      };
      pass(0);
    },
    destroy(err, cb) {
      // A stopped transfer gives up its place: the others sharing the bucket go on.
      pending?.cancel();
      pending = null;
      cb(err);
    },
  });
  return stream;
}
