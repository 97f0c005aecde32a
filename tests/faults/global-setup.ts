// The fault suite's run: picks the seed (or takes HOLDFAST_FAULT_SEED to replay one) and a results
// folder before the files start, so every file's repetitions draw from it; at the end prints the
// table and, for a full run with HOLDFAST_FAULT_WRITE=1 (npm run test:faults), writes it into
// docs/reliability.md.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeMachine } from "../bench/lib/machine.js";
import pgSetup from "../support/global-setup.js";
import { profile, PROFILE_VARIABLE } from "./lib/profile.js";
import { readResults, RESULTS_VARIABLE } from "./lib/results.js";
import { printResults, writeResults } from "./lib/report.js";
import { SEED_VARIABLE } from "./lib/seed.js";

export default async function setup(): Promise<() => void> {
  await pgSetup();
  const given = process.env[SEED_VARIABLE];
  const seed = given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`${SEED_VARIABLE}=${given} is not a whole number`);
  // The workers are forked after this: they inherit the variables.
  process.env[SEED_VARIABLE] = String(seed);
  process.env[RESULTS_VARIABLE] = mkdtempSync(path.join(tmpdir(), "holdfast-faults-"));
  process.env[PROFILE_VARIABLE] = profile();
  console.log(`fault suite (${profile()}): seed ${seed}${given ? " (given)" : ""}; replay with ${SEED_VARIABLE}=${seed}`);
  // The machine and its load as the run starts: a busy neighbour is read off this, not the end.
  const started = new Date();
  const machine = describeMachine();
  return () => {
    const results = readResults(process.env[RESULTS_VARIABLE]!);
    printResults(results, seed, profile());
    if (profile() === "full" && process.env.HOLDFAST_FAULT_WRITE === "1") writeResults(results, seed, profile(), started, machine);
  };
}
