import { describe, expect, it } from "vitest";
import { ERROR_CATALOG, HoldfastError } from "../errors.js";
import { type CommandPayload, type CommandType, COMMAND_TYPES, Commands } from "./commands.js";
import { MAX_FRAME_BYTES } from "./envelope.js";
import { type EventData, type EventType, EVENT_TYPES } from "./events.js";
import { makeErrorResponse, makeOkResponse, makeRequest, parseAgentFrame, parseCommandData, parseServerFrame } from "./frames.js";

const now = new Date("2026-11-24T10:00:00.000Z");
const sha = "a".repeat(64);

/** One valid payload per command: a new command without a sample here fails the test below. */
const samplePayloads: { [T in CommandType]: CommandPayload<T> } = {
  capabilities: {},
  createDatabaseConfig: {
    datasourceId: "ds_1",
    name: "orders",
    engine: "postgres",
    connection: { host: "db.internal", port: 5432, database: "orders", username: "backup", password: "s3cret" },
    maxDurationMinutes: 360,
  },
  getServerHealth: {},
  getSession: {},
  validateServerBackupPrerequisites: { datasourceId: "ds_1" },
  updateDatabaseConfig: {
    datasourceId: "ds_1",
    name: "orders",
    engine: "postgres",
    connection: { host: "/var/run/postgresql", port: 5432, database: "orders", username: "backup" },
    maxDurationMinutes: 60,
    storedPassword: "remove",
    test: true,
  },
  deleteDatabaseConfig: { datasourceId: "ds_1" },
  listDatabaseConfigs: {},
  getDatabaseConfig: { datasourceId: "ds_1" },
  listDatabases: { datasourceId: "ds_1" },
  cancelBackup: { runId: "run_1" },
  cancelQueuedBackup: { runId: "run_1" },
  getExecutionQueue: {},
  getRunLogs: { runId: "run_1" },
  getRunErrorDetails: { runId: "run_1" },
  testDatabaseConnection: { datasourceId: "ds_1" },
  startBackup: { runId: "run_1", datasourceId: "ds_1", trigger: "manual", requestedBy: "admin@localhost" },
  getExecutionStatus: { runId: "run_1" },
  getArtifactMetadata: { runId: "run_1" },
  readArtifact: { runId: "run_1", offset: 1024, uploadToken: "t".repeat(43) },
  cleanupStaging: { runId: "run_1" },
  updatePins: { pins: [`sha256:${"A".repeat(43)}=`] },
  startRestore: {
    runId: "run_2",
    sourceRunId: "run_1",
    targetDatasourceId: "ds_1",
    sizeBytes: 10,
    sha256: sha,
    fileName: "run_1.sql.gz",
    downloadToken: "d".repeat(43),
    options: { overwrite: false },
  },
  resync: { afterSequence: 7 },
};

const sampleEvents: { [T in EventType]: EventData<T> } = {
  backupQueued: { datasourceId: "ds_1", trigger: "schedule", scheduleId: "sch_1", queuedPosition: 1 },
  backupDequeued: { datasourceId: "ds_1", waitedMs: 1500 },
  backupStarted: { datasourceId: "ds_1", startedAt: now.toISOString() },
  backupStep: { step: "dump", message: "pg_dump started" },
  backupProgress: { step: "dump", bytes: 4096, percent: null },
  backupCompleted: { finishedAt: now.toISOString(), sizeBytes: 10, rawSizeBytes: 30, sha256: sha, codec: "gzip", fileName: "run_1.sql.gz" },
  backupFailed: { finishedAt: now.toISOString(), error: { code: "DUMP_FAILED", message: "pg_dump exited 1", retryable: true } },
  backupCancelled: { finishedAt: now.toISOString(), reason: "cancelled by admin@localhost" },
  backupExpired: { finishedAt: now.toISOString(), queuedAt: now.toISOString() },
  artifactExpired: { expiredAt: now.toISOString() },
  restoreStarted: { datasourceId: "ds_1", sourceRunId: "run_1", startedAt: now.toISOString() },
  restoreStep: { step: "verify", message: "checking size and SHA-256" },
  restoreProgress: { step: "download", bytes: 4096, percent: 40 },
  restoreCompleted: { finishedAt: now.toISOString(), durationMs: 1200 },
  restoreFailed: {
    finishedAt: now.toISOString(),
    error: { code: "CHECKSUM_MISMATCH", message: "sha256 differs", retryable: false },
    stage: "verify",
  },
  restoreCancelled: { finishedAt: now.toISOString(), reason: null },
};

function request(type: CommandType, extra: Record<string, unknown> = {}) {
  const mutating = Commands[type].mutating;
  return { ...makeRequest(type, samplePayloads[type] as never, { requestId: "req_1", now, ...(mutating ? { idempotencyKey: "k1" } : {}) }), ...extra };
}

describe("commands", () => {
  it.each(COMMAND_TYPES)("%s round-trips through JSON", (type) => {
    const sent = request(type);
    const parsed = parseServerFrame(JSON.stringify(sent));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value).toEqual({ kind: "command", frame: sent });
  });

  it("refuses a mutating command without an idempotency key, answering its requestId", () => {
    const { idempotencyKey: _, ...sent } = request("startBackup");
    const parsed = parseServerFrame(JSON.stringify(sent));
    expect(parsed).toMatchObject({ ok: false, requestId: "req_1", error: { code: "VALIDATION_FAILED" } });
  });

  it("refuses a payload with a wrongly typed field and names the field", () => {
    const sent = request("readArtifact", { payload: { runId: "run_1", offset: "0", uploadToken: "t".repeat(43) } });
    const parsed = parseServerFrame(JSON.stringify(sent));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe("VALIDATION_FAILED");
      expect(parsed.error.details?.issues).toEqual([expect.objectContaining({ path: "offset" })]);
    }
  });

  it("refuses extra fields in a payload", () => {
    const sent = request("cleanupStaging", { payload: { runId: "run_1", path: "/etc" } });
    expect(parseServerFrame(JSON.stringify(sent))).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
  });

  it("refuses database names that a dump tool would read as options or connection strings", () => {
    for (const database of ["--file=/etc/x", "host=evil dbname=x", "postgresql://evil/x", "a\nb"]) {
      const payload = { ...samplePayloads.createDatabaseConfig, connection: { ...samplePayloads.createDatabaseConfig.connection, database } };
      const sent = request("createDatabaseConfig", { payload });
      expect(parseServerFrame(JSON.stringify(sent)), database).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
    }
  });

  it("validates response data against the command's schema", () => {
    expect(parseCommandData("startBackup", { runId: "run_1", state: "running", queuedPosition: null })).toMatchObject({ state: "running" });
    expect(() => parseCommandData("startBackup", { runId: "run_1", state: "done" })).toThrow(HoldfastError);
  });
});

describe("events", () => {
  it.each(EVENT_TYPES)("%s round-trips through JSON", (type) => {
    const sent = { type, eventId: "evt_1", sequence: 3, runId: "run_1", occurredAt: now.toISOString(), data: sampleEvents[type] };
    const parsed = parseAgentFrame(JSON.stringify(sent));
    expect(parsed).toEqual({ ok: true, value: { kind: "event", frame: sent } });
  });

  it("refuses an event whose sequence is not a positive integer", () => {
    const sent = { type: "backupStarted", eventId: "e", sequence: 0, occurredAt: now.toISOString(), data: sampleEvents.backupStarted };
    expect(parseAgentFrame(JSON.stringify(sent))).toMatchObject({ ok: false, error: { code: "VALIDATION_FAILED" } });
  });
});

describe("responses and control frames", () => {
  it("round-trips an ok and an error response", () => {
    const ok = makeOkResponse("startBackup", "req_1", 202, { runId: "run_1", state: "running", queuedPosition: null });
    expect(parseAgentFrame(JSON.stringify(ok))).toEqual({ ok: true, value: { kind: "response", frame: ok } });
    const err = makeErrorResponse("startBackup", "req_2", new HoldfastError("BACKUP_ALREADY_RUNNING", "busy", { runId: "run_0" }));
    expect(err).toMatchObject({ statusCode: 409, success: false, error: { code: "BACKUP_ALREADY_RUNNING", retryable: true } });
    expect(parseAgentFrame(JSON.stringify(err))).toEqual({ ok: true, value: { kind: "response", frame: err } });
  });

  it("round-trips hello, helloAck and ack", () => {
    const hello = { type: "hello", protocolVersion: 1, sessionId: "ses_1", serverTime: now.toISOString(), lastAckedSequence: 4 };
    expect(parseServerFrame(JSON.stringify(hello))).toEqual({ ok: true, value: { kind: "hello", frame: hello } });
    const ack = { type: "ack", sequence: 4 };
    expect(parseServerFrame(JSON.stringify(ack))).toEqual({ ok: true, value: { kind: "ack", frame: ack } });
    const helloAck = { type: "helloAck", protocolVersion: 1, agentVersion: "0.1.0", hostname: "db1", lastSequence: 9 };
    expect(parseAgentFrame(JSON.stringify(helloAck))).toEqual({ ok: true, value: { kind: "helloAck", frame: helloAck } });
  });
});

describe("malformed frames", () => {
  it.each([
    ["not JSON", "{oops", "MALFORMED_FRAME"],
    ["a JSON array", "[1,2]", "MALFORMED_FRAME"],
    ["no type", '{"requestId":"r"}', "MALFORMED_FRAME"],
    ["an unknown type", '{"type":"dropDatabase","requestId":"r","timestamp":"2026-11-24T10:00:00Z","payload":{}}', "UNKNOWN_MESSAGE_TYPE"],
  ])("rejects %s with %s", (_, text, code) => {
    const server = parseServerFrame(text);
    const agent = parseAgentFrame(text);
    expect(server).toMatchObject({ ok: false, error: { code } });
    expect(agent).toMatchObject({ ok: false, error: { code } });
  });

  it("rejects an oversized frame before parsing it", () => {
    const text = JSON.stringify({ type: "resync", requestId: "r", timestamp: now.toISOString(), payload: { pad: "x".repeat(MAX_FRAME_BYTES) } });
    expect(parseServerFrame(text)).toMatchObject({ ok: false, error: { code: "PAYLOAD_TOO_LARGE" } });
  });

  it("keeps the requestId of an unknown command so the agent can answer it", () => {
    const text = JSON.stringify({ type: "dropDatabase", requestId: "req_9", timestamp: now.toISOString(), payload: {} });
    expect(parseServerFrame(text)).toMatchObject({ ok: false, requestId: "req_9" });
  });
});

describe("error catalog", () => {
  it("gives every code a status in the protocol's table and an action", () => {
    const allowed = [400, 401, 403, 404, 409, 410, 413, 416, 422, 429, 500, 501, 502, 503, 504];
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(allowed, code).toContain(entry.status);
      expect(entry.action.length, code).toBeGreaterThan(10);
    }
  });

  it("never exposes an unknown error's message", () => {
    const body = new HoldfastError("INTERNAL_ERROR", "x").toBody();
    expect(body.code).toBe("INTERNAL_ERROR");
  });
});
