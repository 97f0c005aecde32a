import fs from "node:fs";
import path from "node:path";
import { HoldfastError, type Clock } from "@holdfast/shared";
import { SAFE_ID } from "../fs-safe.js";
import { findRunningRun, transitionRun, type RunRecord } from "../queue/run-record.js";
import { openDatabase, type AgentStore } from "./store.js";

/**
 * A run found `running` at start-up was cut off by a crash or a kill: its dump is gone, so it is
 * closed as failed (retryable, never silently resumed or run twice) and its half-written staging
 * dir removed.
 */
export function recoverInterruptedRuns(store: AgentStore, stagingRoot: string): RunRecord[] {
  const recovered: RunRecord[] = [];
  for (let run = findRunningRun(store); run; run = findRunningRun(store)) {
    const error = new HoldfastError("AGENT_RESTARTED", "The agent restarted while this backup was running", { runId: run.runId });
    recovered.push(transitionRun(store, run.runId, { to: "failed", error: error.toBody() }));
    if (SAFE_ID.test(run.runId)) fs.rmSync(path.join(stagingRoot, run.runId), { recursive: true, force: true });
  }
  return recovered;
}

export interface OpenStoreOptions {
  dataDir: string;
  stagingRoot: string;
  clock: Clock;
}

/** Opens the database, applies migrations and closes interrupted runs before anything else can act. */
export function openStore(opts: OpenStoreOptions): { store: AgentStore; recovered: RunRecord[] } {
  const store = openDatabase(opts.dataDir, opts.clock);
  try {
    return { store, recovered: recoverInterruptedRuns(store, opts.stagingRoot) };
  } catch (err) {
    store.close();
    throw err;
  }
}
