import { Events, newId, type EventEnvelope, type EventType, type EventData } from "@holdfast/shared/protocol";
import type { AgentStore } from "./store.js";

export interface OutboxEvent {
  sequence: number;
  eventId: string;
  type: EventType;
  runId: string | null;
  occurredAt: string;
  data: unknown;
}

interface OutboxRow {
  sequence: number;
  event_id: string;
  type: EventType;
  run_id: string | null;
  occurred_at: string;
  data: string;
}

function fromRow(row: OutboxRow): OutboxEvent {
  return { sequence: row.sequence, eventId: row.event_id, type: row.type, runId: row.run_id, occurredAt: row.occurred_at, data: JSON.parse(row.data) };
}

/**
 * Writes an event with the next sequence. Must run inside `store.transaction` together with the state
 * change it reports; the data is validated against shared's schema so the control plane never gets
 * an event it would refuse.
 */
export function appendEvent<T extends EventType>(store: AgentStore, type: T, runId: string | null, data: EventData<T>): OutboxEvent {
  const valid = Events[type].parse(data);
  const eventId = newId("evt");
  const occurredAt = store.clock.now().toISOString();
  const info = store.db
    .prepare("INSERT INTO outbox (event_id, type, run_id, occurred_at, data) VALUES (?, ?, ?, ?, ?)")
    .run(eventId, type, runId, occurredAt, JSON.stringify(valid));
  const event: OutboxEvent = { sequence: Number(info.lastInsertRowid), eventId, type, runId, occurredAt, data: valid };
  store.recordPending(event);
  return event;
}

/** Events after `sequence`, in order: what a replay sends. */
export function readEventsAfter(store: AgentStore, sequence: number, limit = 1000): OutboxEvent[] {
  return (store.db.prepare("SELECT * FROM outbox WHERE sequence > ? ORDER BY sequence LIMIT ?").all(sequence, limit) as OutboxRow[]).map(fromRow);
}

/** Acks are cumulative: the control plane stored everything up to `sequence`. */
export function markAckedUpTo(store: AgentStore, sequence: number): void {
  store.db.prepare("UPDATE outbox SET acked = 1 WHERE sequence <= ? AND acked = 0").run(sequence);
}

export function lastSequence(store: AgentStore): number {
  const row = store.db.prepare("SELECT MAX(sequence) AS s FROM outbox").get() as { s: number | null };
  return row.s ?? 0;
}

export function toEventFrame(event: OutboxEvent): EventEnvelope {
  return {
    type: event.type,
    eventId: event.eventId,
    sequence: event.sequence,
    ...(event.runId ? { runId: event.runId } : {}),
    occurredAt: event.occurredAt,
    data: event.data,
  };
}

export function countUnacked(store: AgentStore): number {
  return store.db.prepare("SELECT count(*) FROM outbox WHERE acked = 0").pluck().get() as number;
}

/** How long an acknowledged event is kept (the control plane stored it; a resync that far back replays what is left). */
export const OUTBOX_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes acknowledged events older than `retentionMs`. The newest event always stays, so `lastSequence`
 * (and AUTOINCREMENT's own counter) keep numbering monotonic across restarts.
 */
export function pruneOutbox(store: AgentStore, retentionMs = OUTBOX_RETENTION_MS): number {
  const before = new Date(store.clock.now().getTime() - retentionMs).toISOString();
  return store.db
    .prepare("DELETE FROM outbox WHERE acked = 1 AND occurred_at < ? AND sequence < (SELECT MAX(sequence) FROM outbox)")
    .run(before).changes;
}
