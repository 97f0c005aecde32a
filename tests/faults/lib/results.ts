// Each scenario's outcome, written by its test file into the run's results folder and gathered by
// global-setup.ts's teardown into the table `scenario | repetitions | failures | seed`.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomFor, runSeed, type Random } from "./seed.js";

export const RESULTS_VARIABLE = "HOLDFAST_FAULT_RESULTS";

/** `outcomes`: what the repetitions ended as (`failed AGENT_RESTARTED`, `completed`), counted: where the random points fell. */
export type ScenarioResult = { scenario: string; repetitions: number; failures: number; seed: number; problems: string[]; outcomes: Record<string, number> };

function resultsDir(): string {
  const dir = process.env[RESULTS_VARIABLE];
  if (!dir) throw new Error(`${RESULTS_VARIABLE} is not set (global-setup.ts sets it)`);
  return dir;
}

/**
 * Runs `repeat` `count` times with the scenario's own random stream; a repetition fails when it
 * returns problems (what a user would notice: a run completed that should not have, a file left) or
 * throws. Every repetition runs whatever the earlier ones did, so the count of failures is whole.
 */
export async function runScenario(
  scenario: string,
  count: number,
  repeat: (rep: number, random: Random, note: (outcome: string) => void) => Promise<string[]>,
  opts: { concurrent?: boolean } = {},
): Promise<ScenarioResult> {
  const seed = runSeed();
  const random = randomFor(scenario, seed);
  const outcomes: Record<string, number> = {};
  const note = (outcome: string) => void (outcomes[outcome] = (outcomes[outcome] ?? 0) + 1);
  const one = async (rep: number, r: Random): Promise<string[]> => {
    try {
      return (await repeat(rep, r, note)).map((p) => `#${rep}: ${p}`);
    } catch (err) {
      return [`#${rep}: threw: ${err instanceof Error ? err.message : String(err)}`];
    }
  };
  const reps = Array.from({ length: count }, (_, i) => i + 1);
  // Side by side (a fault that takes minutes to end, on one agent each), every repetition gets its
  // own stream derived in order, so the draws do not depend on which one awaits first.
  const found = opts.concurrent
    ? await Promise.all(reps.map((rep) => one(rep, randomFor(`${scenario}#${rep}`, seed))))
    : await reps.reduce<Promise<string[][]>>(async (acc, rep) => [...(await acc), await one(rep, random)], Promise.resolve([]));
  const failures = found.filter((f) => f.length > 0).length;
  const problems = found.flat();
  const result: ScenarioResult = { scenario, repetitions: count, failures, seed, problems, outcomes };
  const dir = resultsDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${scenario.replace(/[^a-z0-9]+/gi, "-")}.json`), JSON.stringify(result, null, 2));
  return result;
}

export function readResults(dir: string): ScenarioResult[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  return names.map((n) => JSON.parse(readFileSync(path.join(dir, n), "utf8")) as ScenarioResult).sort((a, b) => a.scenario.localeCompare(b.scenario));
}
