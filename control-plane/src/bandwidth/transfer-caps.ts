import type { Transform } from "node:stream";
import type { Clock } from "@holdfast/shared";
import { throttle } from "./throttle.js";
import { bytesPerSecond, TokenBucket } from "./token-bucket.js";

/** What a cap belongs to: an agent (its uploads to the control plane) or a destination (what is written to it). */
export type CapKey = `agent:${string}` | `destination:${string}`;

/** The stored cap of a key in MiB/s, null for none. */
export type ReadCap = (key: CapKey) => Promise<number | null>;

/** One transfer's hold on its key's bucket. */
export interface CapLease {
  /** A stream for this transfer's bytes, drawing from the key's bucket (several in turn are fine). */
  throttle(): Transform;
  /** The transfer ended: the last one out drops the bucket. Idempotent. */
  release(): void;
}

interface Live {
  bucket: TokenBucket;
  users: number;
  /** Bumped by every change: a stored value read before it must not undo it. */
  generation: number;
  stopRefresh: (() => void) | null;
}

/** How often a live bucket re-reads its stored cap: what another replica changed reaches it this late at most. */
export const CAP_REFRESH_MS = 10_000;

/**
 * The buckets of the transfers under way, one per agent or destination: concurrent transfers of one
 * agent share its cap, as its network does. Each transfer's lease reads the stored cap, so the
 * stored value wins at every start; a change made through this process reaches the running
 * transfers at once (`set`), and every live bucket re-reads its stored cap every CAP_REFRESH_MS, so a
 * change made through another replica reaches them too. Nothing is kept once the last transfer ends.
 */
export class TransferCaps {
  private readonly live = new Map<CapKey, Live>();

  constructor(
    private readonly clock: Clock,
    private readonly read: ReadCap,
    private readonly refreshMs = CAP_REFRESH_MS,
  ) {}

  /**
   * Holds `key`'s bucket for one transfer, at its cap as stored now. The hold is taken before the
   * read: a change stored meanwhile either is what the read finds or reaches the bucket through
   * `set` (and the older value read is dropped), whichever way the two interleave.
   */
  async lease(key: CapKey): Promise<CapLease> {
    let entry = this.live.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket(this.clock, null), users: 0, generation: 0, stopRefresh: null };
      this.live.set(key, entry);
      this.armRefresh(key, entry);
    }
    entry.users += 1;
    const held = entry;
    let released = false;
    const lease: CapLease = {
      throttle: () => throttle(held.bucket),
      release: () => {
        if (released) return;
        released = true;
        held.users -= 1;
        if (held.users > 0) return;
        held.stopRefresh?.();
        if (this.live.get(key) === held) this.live.delete(key);
      },
    };
    const generation = held.generation;
    try {
      const mibps = await this.read(key);
      if (held.generation === generation) held.bucket.setRate(bytesPerSecond(mibps));
    } catch (err) {
      lease.release();
      throw err;
    }
    return lease;
  }

  /** A cap just stored: the transfers under way here adopt it from their next bytes. */
  set(key: CapKey, mibps: number | null): void {
    const entry = this.live.get(key);
    if (!entry) return;
    entry.generation += 1;
    entry.bucket.setRate(bytesPerSecond(mibps));
  }

  /** The rate a live key's transfers go at now, in bytes per second; undefined when none runs. */
  rateOf(key: CapKey): number | null | undefined {
    return this.live.get(key)?.bucket.rate;
  }

  private armRefresh(key: CapKey, entry: Live): void {
    if (this.refreshMs <= 0) return;
    entry.stopRefresh = this.clock.setTimeout(() => {
      const generation = entry.generation;
      this.read(key)
        .then(
          (mibps) => {
            if (this.live.get(key) === entry && entry.generation === generation) entry.bucket.setRate(bytesPerSecond(mibps));
          },
          // The database did not answer: the cap stays as it was, the next tick asks again.
          () => {},
        )
        .finally(() => {
          if (this.live.get(key) === entry) this.armRefresh(key, entry);
        });
    }, this.refreshMs);
  }
}
