// One seed for a whole run of the fault suite, printed at the start and at the end; each scenario
// draws from its own stream derived from it, so one scenario's repetitions do not shift another's.
import { createHash } from "node:crypto";

export const SEED_VARIABLE = "HOLDFAST_FAULT_SEED";

/** The run's seed: HOLDFAST_FAULT_SEED to replay one, else picked by global-setup.ts. */
export function runSeed(): number {
  const raw = process.env[SEED_VARIABLE];
  const seed = Number(raw);
  if (!raw || !Number.isSafeInteger(seed) || seed < 0) throw new Error(`${SEED_VARIABLE} is not set to a whole number (global-setup.ts sets it)`);
  return seed;
}

/** Random numbers in [0, 1), the same sequence for the same seed and scenario (mulberry32). */
export type Random = { next(): number; int(min: number, max: number): number; pick<T>(items: readonly T[]): T; shuffle<T>(items: readonly T[]): T[] };

export function randomFor(scenario: string, seed = runSeed()): Random {
  let state = createHash("sha256").update(`${seed}:${scenario}`).digest().readUInt32LE(0);
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    // Fisher-Yates on a copy.
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
}
