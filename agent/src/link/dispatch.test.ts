import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseServerFrame, REDACTED, type CommandFrame, type PostgresConnection, type ResponseEnvelope } from "@holdfast/shared";
import { createRunContext } from "../agent.js";
import { DEFAULT_LIMITS } from "../env.js";
import type { Engine } from "../engines/types.js";
import { silentLogger } from "../log.js";
import { getDatasource } from "../store/datasources.js";
import { openStore } from "../store/open-store.js";
import type { AgentStore } from "../store/store.js";
import { makeTempDir, ManualClock, PG } from "../testing/helpers.js";
import { answerRejection, Dispatcher } from "./dispatch.js";
import type { LinkControl } from "./session-info.js";

const noLink: LinkControl = { replayAfter: () => 0, sessionInfo: () => ({ sessionId: "ses_1", connectedAt: "2026-01-01T00:00:00.000Z" }) };
const fakeEngine: Engine<PostgresConnection> = {
  engine: "postgres",
  toolName: "pg_dump",
  listDatabases: async () => [{ name: "app", sizeBytes: 100 }],
  toolVersion: async () => "pg_dump (PostgreSQL) 15.0",
  testConnection: async () => ({ latencyMs: 2, serverVersion: "PostgreSQL 15", databaseSizeBytes: 100, serverVersionNum: 150004 }),
  dump: async () => {
    throw new Error("not used");
  },
  restore: async () => {
    throw new Error("not used");
  },
};

function frame(obj: Record<string, unknown>): CommandFrame {
  const parsed = parseServerFrame(JSON.stringify({ requestId: "req_1", timestamp: "2026-01-01T00:00:00Z", ...obj }));
  if (!parsed.ok || parsed.value.kind !== "command") throw new Error(`bad test frame: ${JSON.stringify(parsed)}`);
  return parsed.value.frame;
}

const config = (password: string) => ({
  datasourceId: "ds_1",
  name: "main",
  engine: "postgres",
  connection: { ...PG, database: "app", password },
});

describe("Dispatcher", () => {
  let dir: string;
  let store: AgentStore;
  let dispatcher: Dispatcher;
  let ctx: ReturnType<typeof createRunContext>;

  beforeEach(() => {
    dir = makeTempDir("dispatch");
    const clock = new ManualClock();
    store = openStore({ dataDir: path.join(dir, "data"), stagingRoot: path.join(dir, "staging"), clock }).store;
    ctx = createRunContext({ store, stagingRoot: path.join(dir, "staging"), clock, log: silentLogger, engines: { postgres: fakeEngine }, limits: DEFAULT_LIMITS });
    dispatcher = new Dispatcher({ run: ctx, agentId: "agt_test", serverUrl: () => "http://127.0.0.1:1", log: silentLogger });
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const send = async (obj: Record<string, unknown>): Promise<ResponseEnvelope> => (await dispatcher.dispatch(frame(obj), noLink)).response;

  it("stores a datasource and answers with the password masked", async () => {
    const res = await send({ type: "createDatabaseConfig", idempotencyKey: "k1", payload: config("hunter2-secret") });
    expect(res).toMatchObject({ type: "createDatabaseConfigResponse", requestId: "req_1", statusCode: 200, success: true, error: null });
    expect(res.data).toEqual({ datasourceId: "ds_1", connection: { ...PG, database: "app", password: REDACTED } });
    expect(JSON.stringify(res)).not.toContain("hunter2");
    expect(getDatasource(store, "ds_1")).toMatchObject({ connection: { password: "hunter2-secret" } });
  });

  it("replays the stored answer for the same key and payload, and refuses the key with another payload (422)", async () => {
    await send({ type: "createDatabaseConfig", idempotencyKey: "k1", payload: config("first") });
    const again = await send({ type: "createDatabaseConfig", idempotencyKey: "k1", requestId: "req_2", payload: config("first") });
    expect(again).toMatchObject({ requestId: "req_2", statusCode: 200, success: true });

    const other = await send({ type: "createDatabaseConfig", idempotencyKey: "k1", requestId: "req_3", payload: config("second") });
    expect(other).toMatchObject({ requestId: "req_3", statusCode: 422, success: false, error: { code: "IDEMPOTENCY_KEY_REUSED" } });
    // The refused request changed nothing.
    expect(getDatasource(store, "ds_1")).toMatchObject({ connection: { password: "first" } });
  });

  it("does not run a replayed startBackup twice", async () => {
    await send({ type: "createDatabaseConfig", idempotencyKey: "k1", payload: config("pw") });
    const payload = { runId: "run_1", datasourceId: "ds_1", trigger: "schedule", requestedBy: "cron" };
    const first = await send({ type: "startBackup", idempotencyKey: "s1", payload });
    expect(first).toMatchObject({ statusCode: 202, data: { runId: "run_1", state: "running" } });
    const second = await send({ type: "startBackup", idempotencyKey: "s1", requestId: "req_9", payload });
    expect(second).toMatchObject({ requestId: "req_9", statusCode: 202, data: { runId: "run_1", state: "running" } });
    expect(store.db.prepare("SELECT count(*) FROM runs").pluck().get()).toBe(1);
    expect(store.db.prepare("SELECT count(*) FROM outbox WHERE type = 'backupStarted'").pluck().get()).toBe(1);
    await ctx.slot.whenIdle();
  });

  it("updates a datasource: no password keeps the stored one, a new one replaces it; unknown is 404", async () => {
    await send({ type: "createDatabaseConfig", idempotencyKey: "k1", payload: config("original-pw") });
    const { password: _p, ...noPassword } = config("x").connection;
    const res = await send({ type: "updateDatabaseConfig", idempotencyKey: "u1", payload: { ...config("x"), name: "renamed", connection: noPassword } });
    expect(res).toMatchObject({ statusCode: 200, data: { datasourceId: "ds_1", connection: { password: REDACTED } } });
    expect(getDatasource(store, "ds_1")).toMatchObject({ name: "renamed", connection: { password: "original-pw" } });
    await send({ type: "updateDatabaseConfig", idempotencyKey: "u2", payload: config("new-pw") });
    expect(getDatasource(store, "ds_1")).toMatchObject({ connection: { password: "new-pw" } });
    const missing = await send({ type: "updateDatabaseConfig", idempotencyKey: "u3", payload: { ...config("x"), datasourceId: "ds_nope" } });
    expect(missing).toMatchObject({ statusCode: 404, error: { code: "DATASOURCE_NOT_FOUND" } });
  });

  it("answers domain errors with their catalog status", async () => {
    const res = await send({ type: "getExecutionStatus", payload: { runId: "run_nope" } });
    expect(res).toMatchObject({ type: "getExecutionStatusResponse", statusCode: 404, success: false, data: null, error: { code: "RUN_NOT_FOUND" } });
    const art = await send({ type: "readArtifact", payload: { runId: "run_nope", offset: 0, uploadToken: "t".repeat(40) } });
    expect(art).toMatchObject({ statusCode: 404, error: { code: "ARTIFACT_NOT_FOUND" } });
  });

  it("answers capabilities and a connection test through the engine", async () => {
    expect((await send({ type: "capabilities", payload: {} })).data).toEqual({
      protocolVersion: 1,
      agentVersion: expect.any(String),
      engines: [{ engine: "postgres", available: true, toolVersion: "pg_dump (PostgreSQL) 15.0" }],
      // zstd is offered exactly when its tool is on this host.
      codecs: spawnSync("zstd", ["--version"]).status === 0 ? ["gzip", "zstd", "none"] : ["gzip", "none"],
    });
    await send({ type: "createDatabaseConfig", idempotencyKey: "k1", payload: config("pw") });
    expect((await send({ type: "testDatabaseConnection", payload: { datasourceId: "ds_1" } })).data).toEqual({
      ok: true,
      latencyMs: 2,
      serverVersion: "PostgreSQL 15",
      databaseSizeBytes: 100,
    });
  });
});

describe("answerRejection", () => {
  const reject = (text: string) => {
    const parsed = parseServerFrame(text);
    if (parsed.ok) throw new Error("expected a rejection");
    return answerRejection(text, parsed);
  };

  it("answers an unknown type with UNKNOWN_MESSAGE_TYPE when the requestId is readable", () => {
    expect(reject(JSON.stringify({ type: "formatDisk", requestId: "r1", timestamp: "2026-01-01T00:00:00Z", payload: {} }))).toMatchObject({
      type: "formatDiskResponse",
      requestId: "r1",
      statusCode: 400,
      success: false,
      error: { code: "UNKNOWN_MESSAGE_TYPE" },
    });
  });

  it("answers a bad payload with VALIDATION_FAILED listing the field", () => {
    const res = reject(JSON.stringify({ type: "getExecutionStatus", requestId: "r2", timestamp: "2026-01-01T00:00:00Z", payload: { runId: 5 } }));
    expect(res).toMatchObject({ type: "getExecutionStatusResponse", statusCode: 400, error: { code: "VALIDATION_FAILED" } });
    expect(JSON.stringify(res?.error?.details)).toContain("runId");
  });

  it("answers a mutating command without idempotencyKey", () => {
    const res = reject(JSON.stringify({ type: "cleanupStaging", requestId: "r3", timestamp: "2026-01-01T00:00:00Z", payload: { runId: "x" } }));
    expect(res).toMatchObject({ statusCode: 400, error: { code: "VALIDATION_FAILED" } });
  });

  it("drops what has no readable requestId", () => {
    expect(reject("not json")).toBeNull();
    expect(reject(JSON.stringify({ type: "formatDisk" }))).toBeNull();
  });
});
