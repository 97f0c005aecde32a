import type { Clock } from "@holdfast/shared";

export const MIB = 1024 * 1024;

/** A slice is this much time at the rate: the size of what passes at once, and so of the timer's step. */
const SLICE_SECONDS = 0.05;
/** Below this, a slow cap would wake for a few hundred bytes at a time. */
const MIN_SLICE_BYTES = 4096;

/** A cap in MiB/s (null: none) as bytes per second. */
export const bytesPerSecond = (mibps: number | null): number | null => (mibps === null ? null : mibps * MIB);

interface Waiter {
  max: number;
  resolve(n: number): void;
}

/**
 * Bytes per second, shared by every transfer that draws from it, handed out first come, first served
 * a slice at a time. Tokens accrue at the rate up to two slices (room for a timer that fires late,
 * not a burst after a pause) and the bucket starts empty: whatever the moment, what it has let through
 * is at most the rate times the time since it was made. Time is the clock's, so tests move it.
 * `rate` null: unlimited, nothing is counted and nobody waits.
 */
export class TokenBucket {
  private perSecond: number | null;
  private tokens = 0;
  private stamp: number;
  private readonly queue: Waiter[] = [];
  private cancelTimer: (() => void) | null = null;

  constructor(
    private readonly clock: Clock,
    rate: number | null,
  ) {
    this.perSecond = checkedRate(rate);
    this.stamp = clock.now().getTime();
  }

  /** Bytes per second, or null for unlimited. */
  get rate(): number | null {
    return this.perSecond;
  }

  /** The most one grant hands out. */
  get sliceBytes(): number {
    return this.perSecond === null ? Number.POSITIVE_INFINITY : Math.max(MIN_SLICE_BYTES, Math.floor(this.perSecond * SLICE_SECONDS));
  }

  /**
   * A new rate from the next grant on: the time until now is counted at the old one, the waiters keep
   * their place and wait for the new one (all go at once when it is null).
   */
  setRate(rate: number | null): void {
    const next = checkedRate(rate);
    this.refill();
    this.perSecond = next;
    if (next !== null) this.tokens = Math.min(this.tokens, 2 * this.sliceBytes);
    this.pump();
  }

  /**
   * Asks to pass up to `max` bytes: resolves, in turn, with how many may pass now (`max` when
   * unlimited, else at most one slice). `cancel` gives up the place (a transfer that stopped).
   */
  take(max: number): { granted: Promise<number>; cancel(): void } {
    let waiter!: Waiter;
    const granted = new Promise<number>((resolve) => {
      waiter = { max: Math.max(1, max), resolve };
    });
    this.queue.push(waiter);
    this.pump();
    return {
      granted,
      cancel: () => {
        const i = this.queue.indexOf(waiter);
        if (i < 0) return;
        this.queue.splice(i, 1);
        // The head left: the next one's wait is its own.
        if (i === 0) this.pump();
      },
    };
  }

  private refill(): void {
    const now = this.clock.now().getTime();
    if (this.perSecond !== null && now > this.stamp) this.tokens = Math.min(2 * this.sliceBytes, this.tokens + ((now - this.stamp) * this.perSecond) / 1000);
    this.stamp = Math.max(this.stamp, now);
  }

  /** Serves the queue's head while the tokens last, then sleeps until they cover it. */
  private pump(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.refill();
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (this.perSecond === null) {
        this.queue.shift();
        head.resolve(head.max);
        continue;
      }
      const want = Math.min(head.max, this.sliceBytes);
      if (this.tokens >= want) {
        this.tokens -= want;
        this.queue.shift();
        head.resolve(want);
        continue;
      }
      const ms = Math.max(1, Math.ceil(((want - this.tokens) * 1000) / this.perSecond));
      this.cancelTimer = this.clock.setTimeout(() => {
        this.cancelTimer = null;
        this.pump();
      }, ms);
      return;
    }
  }
}

function checkedRate(rate: number | null): number | null {
  if (rate !== null && !(Number.isFinite(rate) && rate > 0)) throw new RangeError(`A rate must be a positive number of bytes per second or null, not ${rate}`);
  return rate;
}
