import type { Clock, CreateScheduleBody, ErrorBody } from "@holdfast/shared";
import { asc, eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, expect } from "vitest";
import { createSchedule } from "../schedules/create-schedule.js";
import { createScheduler, type Scheduler } from "../firing/loop.js";
import type { Dialect } from "./databases.js";
import { FakeAgent } from "./fake-agent.js";
import { startTestServer, type TestServer } from "./harness.js";
import type { TestClock } from "./test-clock.js";

export const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };
export const SEC = 1000;
export const MIN = 60 * SEC;
export const GRACE = 30 * MIN;
export const T0 = Date.parse("2030-01-01T00:00:00Z");
export const iso = (ms: number) => new Date(ms).toISOString();

/** `startFirst`: the agent starts the run at once and its backupStarted event arrives before its answer. */
export type Answer = { kind: "accept"; startFirst?: boolean } | { kind: "coalesce"; into: string } | { kind: "refuse"; error: ErrorBody };

/**
 * The firing loop's test bench: a control plane without its own scheduler (tests tick theirs with
 * a clock that moves only when told), a fake agent whose startBackup answer the test chooses, one
 * PostgreSQL datasource on it and one local destination. Call inside a describe: it registers the
 * hooks that start and stop it.
 */
export function useFiringRig(dialect: Dialect) {
  const log = pino({ level: process.env.HOLDFAST_TEST_LOG ?? "silent" });
  const answered = new Map<string, unknown>();
  const schedulers: Scheduler[] = [];
  const rig = {
    srv: undefined as unknown as TestServer,
    agent: undefined as unknown as FakeAgent,
    dsId: "",
    destId: "",
    log,
    /** What the agent answers startBackup with; like the real agent, a repeated key gets the first answer. */
    answer: { kind: "accept" } as Answer,

    behave(a: FakeAgent): FakeAgent {
      a.acceptDatasources(PG);
      a.handlers.startBackup = async (f) => {
        const key = f.idempotencyKey!;
        if (answered.has(key)) return answered.get(key) as { status: number; data: unknown };
        const runId = (f.payload as { runId: string }).runId;
        const answer = rig.answer;
        if (answer.kind === "accept" && answer.startFirst) await a.sendEvent("backupStarted", { datasourceId: rig.dsId, startedAt: new Date().toISOString() }, runId);
        const result =
          answer.kind === "refuse"
            ? { error: answer.error }
            : { status: 202, data: { runId: answer.kind === "coalesce" ? answer.into : runId, state: "queued", queuedPosition: 1 } };
        if (!("error" in result)) answered.set(key, result);
        return result as { status: number; data: unknown };
      };
      return a;
    },

    scheduler(clock: Clock): Scheduler {
      const s = createScheduler({ ...rig.srv.ctx, clock, log }, { tickMs: SEC, graceMs: GRACE });
      schedulers.push(s);
      return s;
    },
    async pass(s: Scheduler) {
      await s.tick();
      await s.idle();
    },
    async newSchedule(clock: TestClock, body: Partial<CreateScheduleBody> = {}): Promise<string> {
      const view = await createSchedule({ database: rig.srv.ctx.database, clock }, { datasourceId: rig.dsId, cron: "*/10 * * * *", timezone: "UTC", destinationIds: [rig.destId], ...body });
      return view.id;
    },
    async runsOf(scheduleId: string) {
      const { db, t } = rig.srv.ctx.database;
      return db.select().from(t.runs).where(eq(t.runs.scheduleId, scheduleId)).orderBy(asc(t.runs.fireTime), asc(t.runs.attempt));
    },
    async deliveriesOf(runId: string) {
      const { db, t } = rig.srv.ctx.database;
      return db.select().from(t.deliveries).where(eq(t.deliveries.runId, runId));
    },
    sentFor(a: FakeAgent, scheduleId: string) {
      return a.frames.filter((f) => f.type === "startBackup" && (f.payload as { scheduleId?: string }).scheduleId === scheduleId) as Array<{
        idempotencyKey: string;
        payload: Record<string, unknown>;
      }>;
    },
    errorOf(run: { error: string | null }) {
      return run.error ? (JSON.parse(run.error) as ErrorBody) : null;
    },
    async datasourceOn(a: FakeAgent): Promise<string> {
      const res = await rig.srv.api("/api/v1/datasources", { method: "POST", token: await rig.srv.token("admin"), json: { agentId: a.identity.agentId, name: "shop", engine: "postgres", connection: PG } });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    },
  };

  beforeAll(async () => {
    rig.srv = await startTestServer(dialect, { scheduler: false });
    rig.agent = rig.behave(await rig.srv.agent());
    rig.dsId = await rig.datasourceOn(rig.agent);
    const dst = await rig.srv.api("/api/v1/destinations", { method: "POST", token: await rig.srv.token("admin"), json: { name: "disk", type: "local", config: { path: `${rig.srv.dir}/backups` } } });
    rig.destId = ((await dst.json()) as { id: string }).id;
  });
  afterAll(async () => {
    for (const s of schedulers) await s.stop();
    await rig.srv.stop();
  });
  return rig;
}
