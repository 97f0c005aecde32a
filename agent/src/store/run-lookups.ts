import { resolveBackupOptions, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import type { AgentStore } from "./store.js";

// The datasource's history of completed backups: what the preflight and the plausibility check
// measure a new run against.

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
