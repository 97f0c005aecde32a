import { systemClock } from "@holdfast/shared";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnv } from "../env.js";
import { type RunningServer, startServer } from "../server.js";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { LiveEventClient } from "../testing/live-event-client.js";
import { createApiToken } from "../users/api-tokens.js";
import { createUser } from "../users/create-user.js";

describe.each(DIALECTS)("live events across a control-plane restart on %s", (dialect) => {
  let tdb: TestDatabase;
  let server: RunningServer | undefined;
  let token: string;

  /** A control plane on the same database and data dir each time. */
  const start = async () => {
    const env = loadEnv({ dataDir: tdb.dir, port: 0, host: "127.0.0.1" }, { HOLDFAST_EVENTS_POLL_MS: "20", ...(tdb.databaseUrl ? { HOLDFAST_DATABASE_URL: tdb.databaseUrl } : {}) });
    server = await startServer(env, { quiet: true, scheduler: false, logger: pino({ level: process.env.HOLDFAST_TEST_LOG ?? "silent" }) });
    return server;
  };
  /** Runs written straight to the database: the triggers record them whoever writes. */
  const addRun = async (id: string) => {
    const { db, t } = server!.ctx.database;
    await db.insert(t.runs).values({ id, kind: "backup", trigger: "manual", agentId: "agt_x", datasourceId: "ds_x", state: "queued", idempotencyKey: id, createdAt: 1 });
  };

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    await createUser(tdb.ctx, { email: "viewer@test.local", role: "viewer", password: "a long enough password" });
    token = (await createApiToken(tdb.ctx, { email: "viewer@test.local" })).token;
    await tdb.database.close();
  });
  afterAll(async () => {
    await server?.close();
    await tdb?.cleanup().catch(() => {});
  });

  it("resumes after Last-Event-ID from the database the previous process wrote", async () => {
    const first = await start();
    const client = await LiveEventClient.open(first.url, token);
    await addRun("run_a");
    await client.waitFor("run_a", (e) => e.type === "run.state" && e.runId === "run_a");
    const lastSeen = client.lastEventId!;
    client.close();
    await addRun("run_b");
    await first.close();

    const second = await start();
    await addRun("run_c");
    const back = await LiveEventClient.open(second.url, token, { lastEventId: lastSeen });
    await back.waitFor("run_c", (e) => e.type === "run.state" && e.runId === "run_c");
    // run_b happened while the client was away, before the restart; nothing else, nothing twice.
    expect(back.events.map((e) => (e.type === "run.state" ? e.runId : e.type))).toEqual(["run_b", "run_c"]);
    expect(back.events[0]!.id).toBeGreaterThan(Number(lastSeen));
    back.close();
  });
});
