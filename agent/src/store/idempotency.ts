import { createHash } from "node:crypto";
import { HoldfastError, makeErrorResponse, type ResponseEnvelope } from "@holdfast/shared/protocol";
import { canonicalJson } from "./canonical-json.js";
import type { AgentStore } from "./store.js";

export interface IdempotencyRecord {
  key: string;
  commandType: string;
  payloadSha256: string;
  response: ResponseEnvelope;
  createdAt: string;
}

function cutoff(store: AgentStore, windowMs: number): string {
  return new Date(store.clock.now().getTime() - windowMs).toISOString();
}

/** The record of `key` inside the window; one older than the window is deleted and no longer matches. */
export function findIdempotencyRecord(store: AgentStore, key: string, windowMs: number): IdempotencyRecord | null {
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

/** What a key's payload is compared by: the SHA-256 of type and payload, keys sorted at every level. */
export function payloadSha256(type: string, payload: unknown): string {
  return createHash("sha256").update(canonicalJson({ type, payload })).digest("hex");
}

/** One command as idempotency sees it. */
export interface KeyedCommand {
  type: string;
  requestId: string;
  idempotencyKey: string;
  payload: unknown;
}

/**
 * Answers mutating commands once per idempotency key: the same key and payload gets the stored
 * response (only successes are stored, so a refused start can be retried), the same key with another
 * payload 422 IDEMPOTENCY_KEY_REUSED. Concurrent duplicates share one execution. Records persist for
 * `windowMs` (HOLDFAST_IDEMPOTENCY_WINDOW_MS), across restarts.
 */
export class IdempotentCommands {
  private readonly inflight = new Map<string, { hash: string; promise: Promise<{ response: ResponseEnvelope }> }>();

  constructor(
    private readonly store: AgentStore,
    private readonly windowMs: number,
  ) {}

  /** `execute` runs at most once per key inside the window; a repeat gets the first answer under its own requestId. */
  async answer<T extends { response: ResponseEnvelope }>(command: KeyedCommand, execute: () => Promise<T>): Promise<T | { response: ResponseEnvelope }> {
    const key = command.idempotencyKey;
    const hash = payloadSha256(command.type, command.payload);
    const reused = () => ({
      response: makeErrorResponse(
        command.type,
        command.requestId,
        new HoldfastError("IDEMPOTENCY_KEY_REUSED", "This idempotency key was used with another request", { idempotencyKey: key }),
      ),
    });
    const running = this.inflight.get(key);
    if (running) {
      if (running.hash !== hash) return reused();
      const shared = await running.promise;
      return { response: { ...shared.response, requestId: command.requestId } };
    }
    const stored = findIdempotencyRecord(this.store, key, this.windowMs);
    if (stored) {
      if (stored.payloadSha256 !== hash || stored.commandType !== command.type) return reused();
      return { response: { ...stored.response, requestId: command.requestId } };
    }
    const promise = execute().then((result) => {
      if (result.response.success) {
        saveIdempotencyRecord(this.store, { key, commandType: command.type, payloadSha256: hash, response: result.response });
      }
      return result;
    });
    this.inflight.set(key, { hash, promise });
    try {
      return await promise;
    } finally {
      this.inflight.delete(key);
    }
  }
}
