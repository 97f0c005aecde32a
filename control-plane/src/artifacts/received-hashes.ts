import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Transform } from "node:stream";

/**
 * The SHA-256 of each partial spool file, updated as the upload writes it, so the whole-file check
 * before a spool copy is promoted needs no second read of the file (docs/decisions.md, "Pulling
 * while staging"). Node cannot save a hash's state, so it lives in memory: after a restart, or when a
 * cut upload left the file and the hash at different lengths, the next upload re-hashes the prefix
 * on disk once and goes on from there.
 */
export class ReceivedHashes {
  private readonly held = new Map<string, { bytes: number; hash: Hash }>();

  /** A hash of exactly the first `offset` bytes of `path`: the one held, or one read from disk. */
  async resume(runId: string, path: string, offset: number): Promise<Hash> {
    const held = this.held.get(runId);
    this.held.delete(runId);
    if (held && held.bytes === offset) return held.hash;
    const hash = createHash("sha256");
    if (offset > 0) {
      for await (const chunk of createReadStream(path, { start: 0, end: offset - 1, highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
    }
    return hash;
  }

  /** The upload left the file `bytes` long and `hash` covers exactly those bytes. */
  keep(runId: string, bytes: number, hash: Hash): void {
    this.held.set(runId, { bytes, hash });
  }

  /** The hex digest of the file when it is `bytes` long and its hash is held; else null (read the file). */
  digestAt(runId: string, bytes: number): string | null {
    const held = this.held.get(runId);
    return held && held.bytes === bytes ? held.hash.copy().digest("hex") : null;
  }

  forget(runId: string): void {
    this.held.delete(runId);
  }
}

/** Passes bytes through, hashing them and counting them. */
export function hashingTap(hash: Hash): Transform & { bytes: number } {
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      tap.bytes += chunk.length;
      cb(null, chunk);
    },
  }) as Transform & { bytes: number };
  tap.bytes = 0;
  return tap;
}
