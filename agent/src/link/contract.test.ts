import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  COMMAND_TYPES,
  Commands,
  ERROR_CATALOG,
  parseServerFrame,
  ResponseEnvelope,
  type CommandType,
  type ResponseEnvelope as Response,
} from "@holdfast/shared";
import { insertQueuedRun, transitionRun } from "../queue/transitions.js";
import { HeldEngine } from "../testing/engines.js";
import { PG } from "../testing/helpers.js";
import { setupRunEnv, testLink, type RunEnv } from "../testing/run-env.js";

/**
 * Golden contract: every command of protocol v1 goes through the dispatcher as a JSON frame, and its
 * answer is a valid envelope whose data validates against the command's schema (or a catalog error
 * with the catalog's status). None may answer FEATURE_NOT_AVAILABLE.
 */
describe("the command catalog, end to end through the dispatcher", () => {
  let env: RunEnv;
  let engine: HeldEngine;
  let seq = 0;

  beforeEach(() => {
    engine = new HeldEngine();
    env = setupRunEnv({ engines: { postgres: engine }, prefix: "contract" });
  });
  afterEach(() => env.cleanup());

  async function send(type: CommandType, payload: unknown): Promise<Response> {
    seq++;
    const text = JSON.stringify({
      type,
      requestId: `req_${seq}`,
      timestamp: "2026-01-01T00:00:00Z",
      ...(Commands[type].mutating ? { idempotencyKey: `key_${seq}` } : {}),
      payload,
    });
    const parsed = parseServerFrame(text);
    if (!parsed.ok || parsed.value.kind !== "command") throw new Error(`${type}: the test's own frame was refused: ${JSON.stringify(parsed)}`);
    const { response } = await env.dispatcher.dispatch(parsed.value.frame, testLink);
    expect(ResponseEnvelope.safeParse(response).success, `${type}: envelope`).toBe(true);
    expect(response.type).toBe(`${type}Response`);
    expect(response.requestId).toBe(`req_${seq}`);
    return response;
  }

  it("answers every command type of COMMAND_TYPES with its schema's data", async () => {
    const ds = { datasourceId: "ds_1", name: "main", engine: "postgres", connection: { ...PG, database: "app", password: "pw" } };
    await send("createDatabaseConfig", ds);
    await send("createDatabaseConfig", { ...ds, datasourceId: "ds_del", name: "to delete" });
    await send("startBackup", { runId: "run_done", datasourceId: "ds_1", trigger: "manual", requestedBy: "ops" });
    (await engine.nth(0)).finish();
    await env.ctx.slot.whenIdle();
    // A restore that already ran (its transport is tested in restore/): startRestore again answers its state.
    insertQueuedRun(env.store, { runId: "run_restored", datasourceId: "ds_1", trigger: "manual", scheduleId: null, requestedBy: "cp", kind: "restore", sourceRunId: "run_done" });
    transitionRun(env.store, "run_restored", { to: "running" });
    transitionRun(env.store, "run_restored", { to: "completed", restored: { durationMs: 5 } });
    await send("startBackup", { runId: "run_live", datasourceId: "ds_1", trigger: "manual", requestedBy: "ops" });
    await send("startBackup", { runId: "run_q", datasourceId: "ds_1", trigger: "schedule", scheduleId: "sch_1", requestedBy: "scheduler" });

    const script: [CommandType, unknown, number][] = [
      ["capabilities", {}, 200],
      ["getServerHealth", {}, 200],
      ["getSession", {}, 200],
      ["validateServerBackupPrerequisites", { datasourceId: "ds_1" }, 200],
      ["createDatabaseConfig", { ...ds, datasourceId: "ds_2", name: "second" }, 200],
      ["updateDatabaseConfig", { ...ds, name: "renamed", connection: { ...PG, database: "app" }, maxDurationMinutes: 30 }, 200],
      ["deleteDatabaseConfig", { datasourceId: "ds_del" }, 200],
      ["listDatabaseConfigs", {}, 200],
      ["getDatabaseConfig", { datasourceId: "ds_1" }, 200],
      ["listDatabases", { datasourceId: "ds_1" }, 200],
      ["testDatabaseConnection", { datasourceId: "ds_1" }, 200],
      ["startBackup", { runId: "run_new", datasourceId: "ds_1", trigger: "schedule", scheduleId: "sch_2", requestedBy: "scheduler" }, 202],
      ["cancelQueuedBackup", { runId: "run_q" }, 200],
      ["getExecutionStatus", { runId: "run_new" }, 200],
      ["getExecutionQueue", {}, 200],
      ["getRunLogs", { runId: "run_done" }, 200],
      ["getRunErrorDetails", { runId: "run_done" }, 200],
      ["getArtifactMetadata", { runId: "run_done" }, 200],
      ["readArtifact", { runId: "run_done", offset: 0, uploadToken: "u".repeat(43) }, 202],
      ["resync", { afterSequence: 0 }, 200],
      ["updatePins", { pins: [`sha256:${"P".repeat(43)}=`] }, 200],
      ["cancelBackup", { runId: "run_live" }, 200],
      ["cleanupStaging", { runId: "run_done" }, 200],
      [
        "startRestore",
        { runId: "run_restored", sourceRunId: "run_done", targetDatasourceId: "ds_1", sizeBytes: 8, sha256: "a".repeat(64), fileName: "run_done.sql.gz", downloadToken: "d".repeat(43), options: {} },
        202,
      ],
    ];
    expect(new Set(script.map(([t]) => t))).toEqual(new Set(COMMAND_TYPES));

    for (const [type, payload, status] of script) {
      const res = await send(type, payload);
      expect(res.error?.code, `${type}: ${JSON.stringify(res.error)}`).not.toBe("FEATURE_NOT_AVAILABLE");
      expect({ type, statusCode: res.statusCode, success: res.success, error: res.error }).toEqual({ type, statusCode: status, success: true, error: null });
      const data = Commands[type].data.safeParse(res.data);
      expect(data.success, `${type} data: ${JSON.stringify(data.error?.issues)}`).toBe(true);
    }
    // Spot checks of what the schema cannot say.
    const cfg = await send("getDatabaseConfig", { datasourceId: "ds_1" });
    expect(cfg.data).toMatchObject({ name: "renamed", maxDurationMinutes: 30, connection: { password: "********" } });
    expect((await send("listDatabaseConfigs", {})).data).toMatchObject({ items: [{ datasourceId: "ds_1" }, { datasourceId: "ds_2" }] });
    // cancelBackup handed the slot to the queued run_new.
    (await engine.nth(2)).finish();
    await env.ctx.slot.whenIdle();
  });

  it("answers refusals with catalog errors at the catalog's status", async () => {
    const cases: [CommandType, unknown][] = [
      ["validateServerBackupPrerequisites", { datasourceId: "ds_none" }],
      ["updateDatabaseConfig", { datasourceId: "ds_none", name: "x", engine: "postgres", connection: { ...PG, database: "x" } }],
      ["deleteDatabaseConfig", { datasourceId: "ds_none" }],
      ["getDatabaseConfig", { datasourceId: "ds_none" }],
      ["listDatabases", { datasourceId: "ds_none" }],
      ["cancelBackup", { runId: "run_none" }],
      ["cancelQueuedBackup", { runId: "run_none" }],
      ["getRunLogs", { runId: "run_none" }],
      ["getRunErrorDetails", { runId: "run_none" }],
      ["getArtifactMetadata", { runId: "run_none" }],
    ];
    for (const [type, payload] of cases) {
      const res = await send(type, payload);
      expect(res.success, type).toBe(false);
      const code = res.error!.code;
      expect(code).not.toBe("FEATURE_NOT_AVAILABLE");
      expect(res.statusCode, `${type} ${code}`).toBe(ERROR_CATALOG[code].status);
    }
  });
});
