import { resolveBackupOptions, type ResolvedBackupOptions } from "@holdfast/shared";
import { fromRow, type RunRecord, type RunRow } from "../queue/run-record.js";
import type { AgentStore } from "./store.js";

// Read-only questions about runs that the sweeper, the slot and the preflight ask; the writes that
// move a run between states stay in runs.ts.

/** Queued runs, oldest first, whose queue TTL has passed. */
export function listExpiredQueuedRuns(store: AgentStore): RunRecord[] {
  const now = store.clock.now().toISOString();
  return (
    store.db.prepare("SELECT * FROM runs WHERE state = 'queued' AND queue_expires_at IS NOT NULL AND queue_expires_at <= ? ORDER BY rowid").all(now) as RunRow[]
  ).map(fromRow);
}

/** Completed runs whose staged artifact is past its TTL and still on disk. */
export function listExpiredArtifacts(store: AgentStore): RunRecord[] {
  const now = store.clock.now().toISOString();
  return (
    store.db
      .prepare("SELECT * FROM runs WHERE state = 'completed' AND staging_path IS NOT NULL AND artifact_expires_at IS NOT NULL AND artifact_expires_at <= ?")
      .all(now) as RunRow[]
  ).map(fromRow);
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

/** The queued or running run of a datasource, if any (a datasource with one cannot be deleted). */
export function findActiveRunOf(store: AgentStore, datasourceId: string): RunRecord | null {
  const row = store.db.prepare("SELECT * FROM runs WHERE datasource_id = ? AND state IN ('queued', 'running') ORDER BY rowid LIMIT 1").get(datasourceId) as
    | RunRow
    | undefined;
  return row ? fromRow(row) : null;
}

/** The queued run already waiting for this schedule, if any (a second firing is coalesced into it). */
export function findQueuedBySchedule(store: AgentStore, scheduleId: string): RunRecord | null {
  const row = store.db.prepare("SELECT * FROM runs WHERE schedule_id = ? AND state = 'queued' ORDER BY rowid LIMIT 1").get(scheduleId) as RunRow | undefined;
  return row ? fromRow(row) : null;
}

/** Size of the datasource's last completed artifact: what the preflight expects the next one to need. */
export function lastCompletedSize(store: AgentStore, datasourceId: string): number | null {
  const v = store.db
    .prepare("SELECT size_bytes FROM runs WHERE datasource_id = ? AND kind = 'backup' AND state = 'completed' AND size_bytes IS NOT NULL ORDER BY finished_at DESC, rowid DESC LIMIT 1")
    .pluck()
    .get(datasourceId) as number | undefined;
  return v ?? null;
}

/**
 * Raw dump size of the datasource's last completed run taken with the same options (a schema-only
 * run is not measured against a full one): the yardstick of the "implausibly small" check.
 */
export function lastCompletedRawSize(store: AgentStore, datasourceId: string, options: ResolvedBackupOptions): { runId: string; rawSizeBytes: number } | null {
  const json = JSON.stringify(options);
  const isDefault = json === JSON.stringify(resolveBackupOptions(undefined)) ? 1 : 0;
  const row = store.db
    .prepare(
      `SELECT run_id, raw_size_bytes FROM runs WHERE datasource_id = ? AND state = 'completed' AND raw_size_bytes IS NOT NULL
         AND (options = ? OR (options IS NULL AND ? = 1)) ORDER BY finished_at DESC, rowid DESC LIMIT 1`,
    )
    .get(datasourceId, json, isDefault) as { run_id: string; raw_size_bytes: number } | undefined;
  return row ? { runId: row.run_id, rawSizeBytes: row.raw_size_bytes } : null;
}
