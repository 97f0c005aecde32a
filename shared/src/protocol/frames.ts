import { z } from "zod";
import { HoldfastError, type ErrorBody, validationError } from "../errors.js";
import { Commands, type CommandData, type CommandPayload, type CommandType, isCommandType } from "./commands.js";
import {
  AckFrame,
  EventEnvelope,
  HelloAckFrame,
  HelloFrame,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  RequestEnvelope,
  ResponseEnvelope,
} from "./envelope.js";
import { type EventData, type EventType, Events, isEventType } from "./events.js";
import { ProtocolProbe } from "./versions.js";

/** A command as the agent receives it, payload already validated against its schema. */
export type CommandFrame = { [T in CommandType]: Omit<RequestEnvelope, "type" | "payload"> & { type: T; payload: CommandPayload<T> } }[CommandType];
export type AgentEventFrame = { [T in EventType]: Omit<EventEnvelope, "type" | "data"> & { type: T; data: EventData<T> } }[EventType];

/**
 * A hello or helloAck of another protocol major: only its version (and the agent's) could be read, so
 * the receiver can say why it refuses instead of calling it malformed.
 */
export type ForeignHello = { kind: "incompatible"; type: "hello" | "helloAck"; protocolVersion: number; agentVersion?: string };

export type ServerFrame = ForeignHello | { kind: "hello"; frame: HelloFrame } | { kind: "ack"; frame: AckFrame } | { kind: "command"; frame: CommandFrame };
export type AgentFrame =
  | ForeignHello
  | { kind: "helloAck"; frame: HelloAckFrame }
  | { kind: "response"; frame: ResponseEnvelope }
  | { kind: "event"; frame: AgentEventFrame };

/** A frame that could not be accepted; `requestId` is set when it was readable, so an error can answer it. */
export type FrameRejection = { ok: false; error: HoldfastError; requestId?: string };

function utf8Length(text: string): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short frames skip the encode.
  return text.length * 3 <= MAX_FRAME_BYTES ? text.length : new TextEncoder().encode(text).length;
}

function readJson(text: string): { ok: true; value: Record<string, unknown> } | FrameRejection {
  if (utf8Length(text) > MAX_FRAME_BYTES) {
    return { ok: false, error: new HoldfastError("PAYLOAD_TOO_LARGE", `Frame larger than ${MAX_FRAME_BYTES} bytes`) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: new HoldfastError("MALFORMED_FRAME", "Frame is not valid JSON") };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== "string") {
    return { ok: false, error: new HoldfastError("MALFORMED_FRAME", "Frame must be a JSON object with a string `type`") };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

function check<T extends z.ZodType>(schema: T, value: unknown, what: string, requestId?: string): { ok: true; value: z.infer<T> } | FrameRejection {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: validationError(parsed.error, what), ...(requestId ? { requestId } : {}) };
}

/** Reads a hello's protocol number with the minimal schema first; another major stops there. */
function probeHello(value: Record<string, unknown>, type: "hello" | "helloAck"): ForeignHello | FrameRejection | null {
  const probe = check(ProtocolProbe, value, type);
  if (!probe.ok) return probe;
  if (probe.value.protocolVersion === PROTOCOL_VERSION) return null;
  const { protocolVersion, agentVersion } = probe.value;
  return { kind: "incompatible", type, protocolVersion, ...(agentVersion !== undefined ? { agentVersion } : {}) };
}

function readableRequestId(value: Record<string, unknown>): string | undefined {
  const r = value.requestId;
  return typeof r === "string" && r.length > 0 && r.length <= 128 ? r : undefined;
}

/** Parses what the control plane sends; the agent calls this on every text frame. */
export function parseServerFrame(text: string): { ok: true; value: ServerFrame } | FrameRejection {
  const json = readJson(text);
  if (!json.ok) return json;
  const type = json.value.type as string;
  if (type === "hello") {
    const foreign = probeHello(json.value, "hello");
    if (foreign) return "ok" in foreign ? foreign : { ok: true, value: foreign };
    const r = check(HelloFrame, json.value, "hello");
    return r.ok ? { ok: true, value: { kind: "hello", frame: r.value } } : r;
  }
  if (type === "ack") {
    const r = check(AckFrame, json.value, "ack");
    return r.ok ? { ok: true, value: { kind: "ack", frame: r.value } } : r;
  }
  const requestId = readableRequestId(json.value);
  if (!isCommandType(type)) {
    return { ok: false, error: new HoldfastError("UNKNOWN_MESSAGE_TYPE", `Unknown message type: ${type.slice(0, 64)}`), ...(requestId ? { requestId } : {}) };
  }
  const envelope = check(RequestEnvelope, json.value, type, requestId);
  if (!envelope.ok) return envelope;
  if (Commands[type].mutating && !envelope.value.idempotencyKey) {
    return { ok: false, error: new HoldfastError("VALIDATION_FAILED", `${type} requires an idempotencyKey`), requestId: envelope.value.requestId };
  }
  const payload = check(Commands[type].payload, envelope.value.payload, `${type} payload`, envelope.value.requestId);
  if (!payload.ok) return payload;
  return { ok: true, value: { kind: "command", frame: { ...envelope.value, type, payload: payload.value } as CommandFrame } };
}

/** Parses what an agent sends; the control plane calls this on every text frame of an authenticated socket. */
export function parseAgentFrame(text: string): { ok: true; value: AgentFrame } | FrameRejection {
  const json = readJson(text);
  if (!json.ok) return json;
  const type = json.value.type as string;
  if (type === "helloAck") {
    const foreign = probeHello(json.value, "helloAck");
    if (foreign) return "ok" in foreign ? foreign : { ok: true, value: foreign };
    const r = check(HelloAckFrame, json.value, "helloAck");
    return r.ok ? { ok: true, value: { kind: "helloAck", frame: r.value } } : r;
  }
  if (type.endsWith("Response")) {
    const r = check(ResponseEnvelope, json.value, type);
    return r.ok ? { ok: true, value: { kind: "response", frame: r.value } } : r;
  }
  if (!isEventType(type)) {
    return { ok: false, error: new HoldfastError("UNKNOWN_MESSAGE_TYPE", `Unknown message type: ${type.slice(0, 64)}`) };
  }
  const envelope = check(EventEnvelope, json.value, type);
  if (!envelope.ok) return envelope;
  const data = check(Events[type], envelope.value.data, `${type} data`);
  if (!data.ok) return data;
  return { ok: true, value: { kind: "event", frame: { ...envelope.value, type, data: data.value } as AgentEventFrame } };
}

/** Validates a successful response's data against the command's schema (the caller awaited it). */
export function parseCommandData<T extends CommandType>(type: T, data: unknown): CommandData<T> {
  const r = Commands[type].data.safeParse(data);
  if (!r.success) throw validationError(r.error, `${type} response`);
  return r.data as CommandData<T>;
}

export function makeRequest<T extends CommandType>(
  type: T,
  payload: CommandPayload<T>,
  opts: { requestId: string; idempotencyKey?: string; now: Date },
): RequestEnvelope {
  return {
    type,
    requestId: opts.requestId,
    timestamp: opts.now.toISOString(),
    ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}),
    payload,
  };
}

export function makeOkResponse(type: string, requestId: string, statusCode: number, data: unknown): ResponseEnvelope {
  return { type: `${type}Response`, requestId, statusCode, success: true, data, error: null };
}

export function makeErrorResponse(type: string, requestId: string, error: HoldfastError | ErrorBody): ResponseEnvelope {
  const body = error instanceof HoldfastError ? error.toBody() : error;
  const statusCode = error instanceof HoldfastError ? error.status : HoldfastError.from(body).status;
  return { type: `${type}Response`, requestId, statusCode, success: false, data: null, error: body };
}
