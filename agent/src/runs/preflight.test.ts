import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DatasourceConnection, Engine as EngineName, ResponseEnvelope } from "@holdfast/shared";
import { PostgresEngine } from "../engines/postgres/engine.js";
import { saveDatasource } from "../store/datasources.js";
import { getRun } from "../queue/run-record.js";
import { freeLoopbackPort, PG } from "../testing/helpers.js";
import { startPrivatePostgres, type PrivatePostgres } from "../testing/private-postgres.js";
import { setupRunEnv, testLink, type RunEnv } from "../testing/run-env.js";

/**
 * The agent's answer to a manual startBackup that its preflight refuses: the database's own reason
 * (credentials, a missing database, an unreachable server) is the code, not a generic 503; the
 * blocking issues stay in the details. Other blocking issues keep PRECONDITION_FAILED.
 */
describe("startBackup refused by the preflight answers the reason's own code", () => {
  let server: PrivatePostgres;
  let env: RunEnv;
  const wrong = "wrong-Pa55word-in-preflight";

  beforeAll(async () => {
    server = await startPrivatePostgres();
  }, 60_000);
  afterAll(() => server?.stop());
  beforeEach(() => {
    env = setupRunEnv({ prefix: "preflight-codes" });
  });
  afterEach(() => env.cleanup());

  const startManual = async (engine: EngineName, connection: DatasourceConnection, runId: string): Promise<ResponseEnvelope> => {
    saveDatasource(env.store, { datasourceId: "ds_x", name: "x", engine, connection } as Parameters<typeof saveDatasource>[1]);
    const frame = {
      type: "startBackup" as const,
      requestId: `req_${runId}`,
      timestamp: "2026-01-01T00:00:00Z",
      idempotencyKey: `k_${runId}`,
      payload: { runId, datasourceId: "ds_x", trigger: "manual" as const, requestedBy: "ops@example.com" },
    };
    return (await env.dispatcher.dispatch(frame, testLink)).response;
  };

  it.each([
    ["a wrong password", "DATABASE_AUTH_FAILED", 422, false, () => ({ host: "127.0.0.1", port: server.port, database: "postgres", username: "postgres", password: wrong })],
    ["a database that does not exist", "DATABASE_NOT_FOUND", 422, false, () => ({ ...PG, database: "hf_preflight_absent" })],
    ["a closed port", "DATABASE_UNREACHABLE", 503, true, async () => ({ ...PG, port: await freeLoopbackPort(), database: "postgres" })],
  ] as const)("%s: %s (%i), blocking issues in the details, no run", async (_what, code, status, retryable, connection) => {
    const res = await startManual("postgres", await connection(), "run_refused");
    expect(res).toMatchObject({ statusCode: status, success: false, error: { code, retryable, details: { datasourceId: "ds_x", blockingIssues: [{ code }] } } });
    expect(JSON.stringify(res)).not.toContain(wrong);
    expect(getRun(env.store, "run_refused")).toBeNull();
  });

  it("a missing dump tool is TOOL_NOT_FOUND (503, not retried)", async () => {
    env.ctx.engines.postgres = new PostgresEngine({ pgDumpPath: "/nonexistent/pg_dump", tmpDir: env.dir });
    const missing = await startManual("postgres", { ...PG, database: "postgres" }, "run_tool");
    expect(missing).toMatchObject({ statusCode: 503, error: { code: "TOOL_NOT_FOUND", retryable: false, details: { blockingIssues: [{ code: "TOOL_NOT_FOUND" }] } } });
  });
});
