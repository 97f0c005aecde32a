import { Readable } from "node:stream";
import { HoldfastError } from "@holdfast/shared";
import { sourceFailed } from "./failures.js";

/**
 * The largest object a put hands the folder's worker whole, in one IPC message, instead of starting a
 * child of its own: a delivery's sidecar, a small artifact. Several deliveries at once hold this each.
 */
export const SMALL_PUT_BYTES = 1024 * 1024;

/**
 * A put's source read whole into memory when it ends within SMALL_PUT_BYTES (`data`), else the
 * bytes read so far joined again with the rest (`rest`), for a child of its own. Each read is
 * bounded by `timeoutMs` as the child's intake is; a source that fails is a source failure.
 */
export async function readSmall(stream: Readable, timeoutMs: number, silent: () => HoldfastError): Promise<{ data: Buffer } | { rest: Readable }> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    // As silent as a child that stops reading: the same bound, the same answer.
    const stall = new Promise<never>((_, reject) => (timer = setTimeout(() => ((timedOut = true), reject(silent())), timeoutMs)));
    let next: IteratorResult<Buffer | string>;
    try {
      next = await Promise.race([it.next(), stall]);
    } catch (err) {
      stream.destroy();
      throw timedOut ? err : sourceFailed(err);
    } finally {
      clearTimeout(timer);
    }
    if (next.done) return { data: Buffer.concat(chunks, total) };
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    chunks.push(chunk);
    total += chunk.length;
    if (total > SMALL_PUT_BYTES) {
      const rest = Readable.from(
        (async function* () {
          yield* chunks;
          for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
        })(),
        { objectMode: false },
      );
      // A copy stopped midway ends the source too (its file closed), not only the generator over it.
      rest.once("close", () => stream.destroy());
      return { rest };
    }
  }
}
