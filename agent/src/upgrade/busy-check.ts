import path from "node:path";
import Database from "better-sqlite3";
import { DB_FILE } from "../store/store.js";

/**
 * The running backup or restore, if any, read from the agent's database without changing it (no
 * migrations, no recovery of interrupted runs: the agent owns those). Must run as the data dir's
 * owner: a root process would leave root-owned WAL files the agent could not open.
 */
export function findRunningRunId(dataDir: string): string | null {
  const db = new Database(path.join(dataDir, DB_FILE), { readonly: true, fileMustExist: true, timeout: 5_000 });
  try {
    const row = db.prepare("SELECT run_id FROM runs WHERE state = 'running' LIMIT 1").get() as { run_id: string } | undefined;
    return row?.run_id ?? null;
  } finally {
    db.close();
  }
}
