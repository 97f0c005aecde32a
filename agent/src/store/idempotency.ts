import type { ResponseEnvelope } from "@holdfast/shared";
import type { AgentStore } from "./store.js";

export interface IdempotencyRecord {
  key: string;
  commandType: string;
  payloadSha256: string;
  response: ResponseEnvelope;
  createdAt: string;
}

/** The default window (HOLDFAST_IDEMPOTENCY_WINDOW_MS): a key is remembered for 24 h. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

function cutoff(store: AgentStore, windowMs: number): string {
  return new Date(store.clock.now().getTime() - windowMs).toISOString();
}

/** The record of `key` inside the window; one older than the window is deleted and no longer matches. */
export function findIdempotencyRecord(store: AgentStore, key: string, windowMs = DEFAULT_IDEMPOTENCY_WINDOW_MS): IdempotencyRecord | null {
  store.db.prepare("DELETE FROM idempotency WHERE key = ? AND created_at <= ?").run(key, cutoff(store, windowMs));
  const row = store.db.prepare("SELECT * FROM idempotency WHERE key = ?").get(key) as
    | { key: string; command_type: string; payload_sha256: string; response: string; created_at: string }
    | undefined;
  if (!row) return null;
  return {
    key: row.key,
    commandType: row.command_type,
    payloadSha256: row.payload_sha256,
    response: JSON.parse(row.response) as ResponseEnvelope,
    createdAt: row.created_at,
  };
}

export function saveIdempotencyRecord(store: AgentStore, record: Omit<IdempotencyRecord, "createdAt">): void {
  store.db
    .prepare("INSERT OR IGNORE INTO idempotency (key, command_type, payload_sha256, response, created_at) VALUES (?, ?, ?, ?, ?)")
    .run(record.key, record.commandType, record.payloadSha256, JSON.stringify(record.response), store.clock.now().toISOString());
}

/** Deletes every record past the window; returns how many. */
export function purgeIdempotencyRecords(store: AgentStore, windowMs: number): number {
  return store.db.prepare("DELETE FROM idempotency WHERE created_at <= ?").run(cutoff(store, windowMs)).changes;
}
