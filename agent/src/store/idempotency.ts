import type { ResponseEnvelope } from "@holdfast/shared";
import type { AgentStore } from "./store.js";

export interface IdempotencyRecord {
  key: string;
  commandType: string;
  payloadSha256: string;
  response: ResponseEnvelope;
  createdAt: string;
}

export function findIdempotencyRecord(store: AgentStore, key: string): IdempotencyRecord | null {
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
