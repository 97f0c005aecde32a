import { Transform, type TransformCallback } from "node:stream";
import v8 from "node:v8";
import vm from "node:vm";

/**
 * Why this exists: a Buffer's memory goes back only when V8 collects its wrapper, and V8 starts a
 * collection for such "external" memory only after about 64 MiB of it has piled up. Streaming 1 MiB
 * chunks therefore grows the agent by up to 64 MiB of garbage, whatever the database size. A young-
 * generation collection every few MiB (about 1.5 ms each) keeps the peak flat: docs/decisions.md,
 * "Agent memory". Jest gets `gc` the same way for --logHeapUsage; without it this is a no-op.
 */
type Gc = (options?: { type?: "minor" | "major"; execution?: "sync" | "async" }) => void;
let gc: Gc | null | undefined;

function collector(): Gc | null {
  if (gc === undefined) {
    // The launcher passes --expose-gc (agent/bin/node-flags.json): no second context, which costs 2 MiB.
    const exposed = (globalThis as { gc?: Gc }).gc;
    if (exposed) return (gc = exposed);
    try {
      v8.setFlagsFromString("--expose-gc");
      gc = vm.runInNewContext("gc") as Gc;
    } catch {
      gc = null;
    }
  }
  return gc;
}

export const RECLAIM_EVERY_BYTES = 8 * 1024 * 1024;

/** Counts bytes and asks for a young-generation collection every `every` bytes. */
export class Reclaimer {
  private since = 0;

  constructor(private readonly every = RECLAIM_EVERY_BYTES) {}

  count(bytes: number): void {
    this.since += bytes;
    if (this.since < this.every) return;
    this.since = 0;
    collector()?.({ type: "minor", execution: "sync" });
  }
}

/** A pass-through stage that reclaims as bytes go by (for streams that have no meter of their own). */
export function reclaimingTap(every = RECLAIM_EVERY_BYTES): Transform {
  const reclaimer = new Reclaimer(every);
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      reclaimer.count(chunk.length);
      cb(null, chunk);
    },
  });
}
