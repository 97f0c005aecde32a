import { readdir, stat } from "node:fs/promises";

export interface SpoolGate {
  /**
   * Reserves room for a run's artifact before its pull starts: true when it fits beside what the
   * spool holds and what the pulls under way will still write, false when the pull must wait. A pull
   * that holds a reservation may ask for a larger one the same way (false keeps the one it has).
   */
  admit(runId: string, sizeBytes: number): Promise<boolean>;
  /** The pull ended: from now on its files on disk count, not its reservation. True when it held one. */
  release(runId: string): boolean;
}

const SPOOL_FILE = /^(.+)\.(artifact|partial)$/;

/**
 * Bounds the spool at `maxBytes` (HOLDFAST_SPOOL_MAX_GB; null: unbounded). Usage is what is on disk
 * plus, for each pull admitted and under way, the bytes it has still to write. An artifact larger
 * than the whole bound is let in alone, when nothing else is in the spool: waiting could never help
 * it, and the agent's TTL would turn the wait into a lost backup.
 */
export function createSpoolGate(spoolDir: string, maxBytes: number | null): SpoolGate {
  const reserved = new Map<string, number>();
  let queue: Promise<unknown> = Promise.resolve();

  async function onDisk(): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    for (const name of await readdir(spoolDir).catch(() => [] as string[])) {
      const m = SPOOL_FILE.exec(name);
      if (!m) continue;
      const size = await stat(`${spoolDir}/${name}`).then((s) => s.size, () => 0);
      sizes.set(m[1]!, (sizes.get(m[1]!) ?? 0) + size);
    }
    return sizes;
  }

  async function decide(runId: string, sizeBytes: number): Promise<boolean> {
    // No bound, or a pull that keeps or lowers its reservation: nothing to weigh.
    const held = reserved.get(runId);
    if (maxBytes === null || (held !== undefined && held >= sizeBytes)) {
      reserved.set(runId, sizeBytes);
      return true;
    }
    const disk = await onDisk();
    let used = 0;
    for (const [id, size] of disk) if (id !== runId) used += size;
    for (const [id, size] of reserved) if (id !== runId) used += Math.max(0, size - (disk.get(id) ?? 0));
    if (used + sizeBytes > maxBytes && used > 0) return false;
    reserved.set(runId, sizeBytes);
    return true;
  }

  return {
    admit(runId, sizeBytes) {
      // One decision at a time: two pulls must not both take the last free bytes.
      const result = queue.then(() => decide(runId, sizeBytes));
      queue = result.catch(() => {});
      return result;
    },
    release(runId) {
      return reserved.delete(runId);
    },
  };
}
