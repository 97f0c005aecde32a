import type { Readable } from "node:stream";

/** Where artifacts end up. Each implementation writes atomically: a reader never sees half a file. */
export interface Destination {
  /**
   * Writes the stream under `relativeName` (a `/`-separated path inside the destination) and
   * resolves with where it landed and how many bytes were written.
   */
  put(stream: Readable, relativeName: string): Promise<{ path: string; bytes: number }>;
}
