import { HoldfastError, type Clock } from "@holdfast/shared/protocol";
import { findRunningRun } from "../queue/queue-queries.js";
import { transitionRun } from "../queue/transitions.js";
import type { RunRecord } from "../queue/run-record.js";
import { removeRunFolder } from "../staging/run-folders.js";
import { tightenDataDir, type LoosenedEntry } from "./private-files.js";
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
    removeRunFolder(stagingRoot, run.runId);
  }
  return recovered;
}

export interface OpenStoreOptions {
  dataDir: string;
  stagingRoot: string;
  clock: Clock;
}

export interface OpenedStore {
  store: AgentStore;
  /** Runs a crash or kill cut off, now failed AGENT_RESTARTED. */
  recovered: RunRecord[];
  /** The data dir or files of it that others could read, tightened (private-files.ts): for one warning. */
  loosened: LoosenedEntry[];
}

/**
 * Checks the data dir's modes, opens the database, applies migrations and closes interrupted runs
 * before anything else can act.
 */
export function openStore(opts: OpenStoreOptions): OpenedStore {
  const loosened = tightenDataDir(opts.dataDir);
  const store = openDatabase(opts.dataDir, opts.clock);
  try {
    return { store, recovered: recoverInterruptedRuns(store, opts.stagingRoot), loosened };
  } catch (err) {
    store.close();
    throw err;
  }
}
