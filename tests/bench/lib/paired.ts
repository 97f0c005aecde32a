// Paired, interleaved repetitions: A, B, A, B ... so that whatever else the machine does (another
// process, the page cache filling, thermal throttling) lands on both sides of a pair rather than on
// one side of the comparison. The ratio is taken pair by pair.
import { pairRatios, summarize, type Summary } from "./stats.js";

export type Paired = { a: number[]; b: number[]; ratio: number[]; summary: { a: Summary; b: Summary; ratio: Summary } };

/** Runs `pairs` pairs of (a, b), each a function that does one repetition and answers its figure (seconds, MiB/s...). */
export async function runPaired(label: string, pairs: number, a: () => Promise<number>, b: () => Promise<number>): Promise<Paired> {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < pairs; i++) {
    xs.push(await a());
    ys.push(await b());
    process.stderr.write(`  ${label}: pair ${i + 1}/${pairs}: ${xs.at(-1)!.toFixed(2)} / ${ys.at(-1)!.toFixed(2)}\n`);
  }
  const ratio = pairRatios(xs, ys);
  return { a: xs, b: ys, ratio, summary: { a: summarize(xs), b: summarize(ys), ratio: summarize(ratio) } };
}

/** Seconds a repetition took. */
export async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}
