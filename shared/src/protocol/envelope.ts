import { z } from "zod";
import { Id } from "../ids.js";
import { ErrorBody } from "../errors.js";

export const PROTOCOL_VERSION = 1;

/** Largest JSON frame either side accepts on the link; artifact bytes travel by HTTP instead. */
export const MAX_FRAME_BYTES = 1024 * 1024;

const isoTime = z.iso.datetime({ offset: true });

/** A command, sent by the control plane to an agent. */
export const RequestEnvelope = z
  .object({
    type: z.string().min(1).max(64),
    requestId: Id,
    timestamp: isoTime,
    idempotencyKey: z.string().min(1).max(200).optional(),
    payload: z.unknown(),
  })
  .strict();
export type RequestEnvelope = z.infer<typeof RequestEnvelope>;

/** The answer to a command; every response carries a status code, success or not. */
export const ResponseEnvelope = z
  .object({
    type: z.string().regex(/Response$/),
    requestId: Id,
    statusCode: z.number().int().min(100).max(599),
    success: z.boolean(),
    data: z.unknown(),
    error: ErrorBody.nullable(),
  })
  .strict();
export type ResponseEnvelope = z.infer<typeof ResponseEnvelope>;

/** Something that happened on the agent, first written to its outbox. `sequence` is per agent. */
export const EventEnvelope = z
  .object({
    type: z.string().min(1).max(64),
    eventId: Id,
    sequence: z.number().int().positive(),
    runId: Id.optional(),
    occurredAt: isoTime,
    data: z.unknown(),
  })
  .strict();
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** Sent by the control plane once the socket is authenticated: where the agent's replay starts. */
export const HelloFrame = z
  .object({
    type: z.literal("hello"),
    protocolVersion: z.literal(PROTOCOL_VERSION),
    sessionId: Id,
    serverTime: isoTime,
    lastAckedSequence: z.number().int().min(0),
  })
  .strict();
export type HelloFrame = z.infer<typeof HelloFrame>;

/** The agent's answer to hello; only after it does the control plane send commands. */
export const HelloAckFrame = z
  .object({
    type: z.literal("helloAck"),
    protocolVersion: z.literal(PROTOCOL_VERSION),
    agentVersion: z.string().max(64),
    hostname: z.string().max(255),
    lastSequence: z.number().int().min(0),
  })
  .strict();
export type HelloAckFrame = z.infer<typeof HelloAckFrame>;

/** Cumulative: every event with a sequence up to this one is stored by the control plane. */
export const AckFrame = z
  .object({ type: z.literal("ack"), sequence: z.number().int().min(0) })
  .strict();
export type AckFrame = z.infer<typeof AckFrame>;
