import { z } from "zod";
import { AgentStatus, DeliveryState, RunKind, RunState, RunTrigger } from "../run-state.js";
import { type Role, roleAtLeast } from "./users.js";

/*
 * The live events of `GET /api/v1/events` (server-sent events). Each SSE message is one unnamed
 * `message` event whose `data` is one of these objects and whose `id` is the event's `id`: parse
 * `data` with `LiveEvent` and switch on `type`. A client that reconnects sends the last id it got
 * as `Last-Event-ID` (EventSource does this by itself) and receives what it missed, in order, or a
 * `resync` when that is no longer possible. Ids are the database's: they only grow, may skip
 * numbers, and survive a restart of the control plane.
 */

const isoTime = z.iso.datetime({ offset: true });
// Ids here are the database's own (the triggers copy them as written), so they are not re-checked
// against the request alphabet: a console must show whatever the control plane holds.
const RowId = z.string().min(1);
const EventId = z.number().int().min(1);

const common = { id: EventId, at: isoTime };

/** A run was recorded or changed state: created `pending`/`queued`, then `running`, and its end. */
export const RunStateEvent = z.object({
  ...common,
  type: z.literal("run.state"),
  runId: RowId,
  agentId: RowId,
  datasourceId: RowId,
  scheduleId: RowId.nullable(),
  kind: RunKind,
  trigger: RunTrigger,
  state: RunState,
  /** The error's code (`failed`, `missed`...): a code of the error catalog; null without an error. */
  errorCode: z.string().nullable(),
});
export type RunStateEvent = z.infer<typeof RunStateEvent>;

/**
 * How far a running run is. At most about one a second per run; the last one before the run's end
 * may arrive just after its `run.state`: a client ignores progress of a run it knows has ended.
 */
export const RunProgressEvent = z.object({
  ...common,
  type: z.literal("run.progress"),
  runId: RowId,
  agentId: RowId,
  datasourceId: RowId,
  kind: RunKind,
  /** What the agent is doing: `dump`, `compress`, `stage` (a backup), `download`, `restore` (a restore). */
  step: z.string(),
  /** Bytes done so far in this step (a backup: bytes dumped, before compression). */
  bytes: z.number().int().min(0),
  percent: z.number().min(0).max(100).nullable(),
  /** Since the previous progress event of the run (the first: since it started); null when unknown. */
  bytesPerSecond: z.number().min(0).nullable(),
});
export type RunProgressEvent = z.infer<typeof RunProgressEvent>;

/** A delivery of a run to a destination was created or changed state; a failed try waiting for the next is `pending` with `nextAttemptAt`. */
export const DeliveryStateEvent = z.object({
  ...common,
  type: z.literal("delivery.state"),
  deliveryId: RowId,
  runId: RowId,
  destinationId: RowId,
  state: DeliveryState,
  attempts: z.number().int().min(0),
  nextAttemptAt: isoTime.nullable(),
  errorCode: z.string().nullable(),
});
export type DeliveryStateEvent = z.infer<typeof DeliveryStateEvent>;

/** An agent enrolled, came online, went offline or was revoked. */
export const AgentStatusEvent = z.object({
  ...common,
  type: z.literal("agent.status"),
  agentId: RowId,
  name: z.string(),
  status: AgentStatus,
});
export type AgentStatusEvent = z.infer<typeof AgentStatusEvent>;

/**
 * The events after `Last-Event-ID` are no longer kept (`too-old`), or that id is not one this control
 * plane handed out (`unknown`: from the future, another installation, a restored database). Refetch
 * what you show; the stream goes on after `id`.
 */
export const ResyncEvent = z.object({
  id: z.number().int().min(0),
  type: z.literal("resync"),
  reason: z.enum(["too-old", "unknown"]),
});
export type ResyncEvent = z.infer<typeof ResyncEvent>;

/**
 * The first event of a stream opened without `Last-Event-ID`: it is live from here, and its `id` is
 * where a reconnect resumes. Subscribe, then load what you show once `ready` arrived, then apply the
 * events: nothing falls between the two.
 */
export const ReadyEvent = z.object({
  id: z.number().int().min(0),
  type: z.literal("ready"),
});
export type ReadyEvent = z.infer<typeof ReadyEvent>;

/** The events that are recorded (they have a database id and are replayed after a reconnect). */
export const RecordedLiveEvent = z.discriminatedUnion("type", [RunStateEvent, RunProgressEvent, DeliveryStateEvent, AgentStatusEvent]);
export type RecordedLiveEvent = z.infer<typeof RecordedLiveEvent>;
export type RecordedLiveEventType = RecordedLiveEvent["type"];

/** Everything `GET /api/v1/events` sends as `data`. */
export const LiveEvent = z.discriminatedUnion("type", [RunStateEvent, RunProgressEvent, DeliveryStateEvent, AgentStatusEvent, ResyncEvent, ReadyEvent]);
export type LiveEvent = z.infer<typeof LiveEvent>;

/**
 * The least role that receives each kind; what a role may not see is not sent at all. Everything is
 * viewer-readable today (a viewer may read runs, deliveries and agents through the API anyway).
 */
export const LIVE_EVENT_ROLES = {
  "run.state": "viewer",
  "run.progress": "viewer",
  "delivery.state": "viewer",
  "agent.status": "viewer",
} as const satisfies Record<RecordedLiveEventType, Role>;

export type LiveEventRoles = Record<RecordedLiveEventType, Role>;

/** Whether a user of `role` receives events of `type`. */
export function mayReceive(role: Role, type: RecordedLiveEventType, roles: LiveEventRoles = LIVE_EVENT_ROLES): boolean {
  return roleAtLeast(role, roles[type]);
}

/** `Last-Event-ID` as a client sends it back: the decimal id of the last event it got. */
export const LastEventIdHeader = z.object({
  "last-event-id": z
    .string()
    .regex(/^\d{1,15}$/, "must be the id of an event received before (a whole number)")
    .optional(),
});
