/** Counts a transfer's bytes for a progress display: how many, how fast (since the start), how much of the whole. */
export interface ByteMeter {
  readonly total: number;
  readonly bytes: number;
  readonly bytesPerSecond: number | null;
  readonly percent: number | null;
  add(n: number): void;
  done(): void;
  onChange(listener: () => void): void;
}

/** A meter of `total` bytes that starts at `already` (a resumed download: its rate counts only this run's bytes). */
export function byteMeter(total: number, already = 0, now = () => Date.now()): ByteMeter {
  const started = now();
  let bytes = already;
  const listeners: (() => void)[] = [];
  return {
    total,
    get bytes() {
      return bytes;
    },
    get bytesPerSecond() {
      const seconds = (now() - started) / 1000;
      return seconds > 0 ? (bytes - already) / seconds : null;
    },
    get percent() {
      return total > 0 ? (bytes / total) * 100 : null;
    },
    add(n) {
      bytes += n;
      for (const l of listeners) l();
    },
    done() {
      for (const l of listeners) l();
    },
    onChange(listener) {
      listeners.push(listener);
    },
  };
}
