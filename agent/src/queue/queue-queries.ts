import type { AgentStore } from "../store/store.js";
import { fromRow, type RunRecord, type RunRow } from "./run-record.js";

// The queue's questions to the runs table: what runs, what waits and in which order, what expires when.

export function findRunningRun(store: AgentStore): RunRecord | null {
  const row = store.db.prepare("SELECT * FROM runs WHERE state = 'running' LIMIT 1").get() as RunRow | undefined;
  return row ? fromRow(row) : null;
}

/** FIFO: insertion order (rowid), which is also queued_at order on one agent. */
export function listQueuedRuns(store: AgentStore): RunRecord[] {
  return (store.db.prepare("SELECT * FROM runs WHERE state = 'queued' ORDER BY rowid").all() as RunRow[]).map(fromRow);
}

/** 1-based place in the queue (1 = next to run), or null if the run is not queued. */
export function queuedPosition(store: AgentStore, runId: string): number | null {
  const row = store.db
    .prepare(
      `SELECT COUNT(*) AS n FROM runs WHERE state = 'queued'
         AND rowid <= (SELECT rowid FROM runs WHERE run_id = ? AND state = 'queued')`,
    )
    .get(runId) as { n: number };
  return row.n > 0 ? row.n : null;
}

/** Queued runs, oldest first, whose queue TTL has passed. */
export function listExpiredQueuedRuns(store: AgentStore): RunRecord[] {
  const now = store.clock.now().toISOString();
  return (
    store.db.prepare("SELECT * FROM runs WHERE state = 'queued' AND queue_expires_at IS NOT NULL AND queue_expires_at <= ? ORDER BY rowid").all(now) as RunRow[]
  ).map(fromRow);
}

/** The queued run already waiting for this schedule, if any (a second firing is coalesced into it). */
export function findQueuedBySchedule(store: AgentStore, scheduleId: string): RunRecord | null {
  const row = store.db.prepare("SELECT * FROM runs WHERE schedule_id = ? AND state = 'queued' ORDER BY rowid LIMIT 1").get(scheduleId) as RunRow | undefined;
  return row ? fromRow(row) : null;
}

/** The queued or running run of a datasource, if any (a datasource with one cannot be deleted). */
export function findActiveRunOf(store: AgentStore, datasourceId: string): RunRecord | null {
  const row = store.db.prepare("SELECT * FROM runs WHERE datasource_id = ? AND state IN ('queued', 'running') ORDER BY rowid LIMIT 1").get(datasourceId) as
    | RunRow
    | undefined;
  return row ? fromRow(row) : null;
}

/** The earliest queue or artifact deadline still ahead, or null: when the sweeper must look again. */
export function nextDeadline(store: AgentStore): string | null {
  const row = store.db
    .prepare(
      `SELECT MIN(t) AS t FROM (
         SELECT MIN(queue_expires_at) AS t FROM runs WHERE state = 'queued'
         UNION ALL
         SELECT MIN(artifact_expires_at) FROM runs WHERE state = 'completed' AND staging_path IS NOT NULL
       )`,
    )
    .get() as { t: string | null };
  return row.t;
}
