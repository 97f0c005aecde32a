import type { Clock, CreateScheduleBody, ErrorBody } from "@holdfast/shared";
import { asc, eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSchedule } from "../schedules/create-schedule.js";
import { getSchedule } from "../schedules/read-schedules.js";
import { updateSchedule } from "../schedules/update-schedule.js";
import { DIALECTS } from "../testing/databases.js";
import { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { firingIdempotencyKey } from "./firing-key.js";
import { createScheduler, type Scheduler } from "./loop.js";
import { recordScheduledRun } from "./run-records.js";

const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };
const SEC = 1000;
const MIN = 60 * SEC;
const GRACE = 30 * MIN;
const T0 = Date.parse("2030-01-01T00:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

/** Time moves only when a test says so; the scheduler's own timer never runs (tests call tick). */
class TestClock implements Clock {
  constructor(public t: number) {}
  now = () => new Date(this.t);
  setTimeout = () => () => {};
}

/** `startFirst`: the agent starts the run at once and its backupStarted event arrives before its answer. */
type Answer = { kind: "accept"; startFirst?: boolean } | { kind: "coalesce"; into: string } | { kind: "refuse"; error: ErrorBody };

describe.each(DIALECTS)("firing loop on %s", (dialect) => {
  let srv: TestServer;
  let agent: FakeAgent;
  let dsId: string;
  let destId: string;
  const log = pino({ level: process.env.HOLDFAST_TEST_LOG ?? "silent" });
  /** What the agent answers startBackup with; like the real agent, a repeated key gets the first answer. */
  let answer: Answer = { kind: "accept" };
  const answered = new Map<string, unknown>();
  const schedulers: Scheduler[] = [];

  function behave(a: FakeAgent): FakeAgent {
    a.acceptDatasources(PG);
    a.handlers.startBackup = async (f) => {
      const key = f.idempotencyKey!;
      if (answered.has(key)) return answered.get(key) as { status: number; data: unknown };
      const runId = (f.payload as { runId: string }).runId;
      if (answer.kind === "accept" && answer.startFirst) await a.sendEvent("backupStarted", { datasourceId: dsId, startedAt: new Date().toISOString() }, runId);
      const result =
        answer.kind === "refuse"
          ? { error: answer.error }
          : { status: 202, data: { runId: answer.kind === "coalesce" ? answer.into : runId, state: "queued", queuedPosition: 1 } };
      if (!("error" in result)) answered.set(key, result);
      return result as { status: number; data: unknown };
    };
    return a;
  }

  function scheduler(clock: Clock): Scheduler {
    const s = createScheduler({ ...srv.ctx, clock, log }, { tickMs: SEC, graceMs: GRACE });
    schedulers.push(s);
    return s;
  }
  const pass = async (s: Scheduler) => {
    await s.tick();
    await s.idle();
  };

  async function newSchedule(clock: TestClock, body: Partial<CreateScheduleBody> = {}): Promise<string> {
    const view = await createSchedule({ database: srv.ctx.database, clock }, { datasourceId: dsId, cron: "*/10 * * * *", timezone: "UTC", destinationIds: [destId], ...body });
    return view.id;
  }
  async function runsOf(scheduleId: string) {
    const { db, t } = srv.ctx.database;
    return db.select().from(t.runs).where(eq(t.runs.scheduleId, scheduleId)).orderBy(asc(t.runs.fireTime), asc(t.runs.attempt));
  }
  async function deliveriesOf(runId: string) {
    const { db, t } = srv.ctx.database;
    return db.select().from(t.deliveries).where(eq(t.deliveries.runId, runId));
  }
  const sentFor = (a: FakeAgent, scheduleId: string) =>
    a.frames.filter((f) => f.type === "startBackup" && (f.payload as { scheduleId?: string }).scheduleId === scheduleId) as Array<{
      idempotencyKey: string;
      payload: Record<string, unknown>;
    }>;
  const errorOf = (run: { error: string | null }) => (run.error ? (JSON.parse(run.error) as ErrorBody) : null);

  async function datasourceOn(a: FakeAgent): Promise<string> {
    const res = await srv.api("/api/v1/datasources", { method: "POST", token: await srv.token("admin"), json: { agentId: a.identity.agentId, name: "shop", engine: "postgres", connection: PG } });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  beforeAll(async () => {
    srv = await startTestServer(dialect, { scheduler: false });
    agent = behave(await srv.agent());
    dsId = await datasourceOn(agent);
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: await srv.token("admin"), json: { name: "disk", type: "local", config: { path: `${srv.dir}/backups` } } });
    destId = ((await dst.json()) as { id: string }).id;
  });
  afterAll(async () => {
    for (const s of schedulers) await s.stop();
    await srv.stop();
  });

  it("fires once, on time: a pending run, then queued once the agent accepts it, with its deliveries", async () => {
    answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock, { options: { format: "custom" }, verify: true });
    const s = scheduler(clock);
    clock.t = T0 + 10 * MIN - 1;
    await pass(s);
    expect(await runsOf(id)).toEqual([]);
    clock.t = T0 + 10 * MIN;
    await pass(s);
    const [run, ...more] = await runsOf(id);
    expect(more).toEqual([]);
    expect(run).toMatchObject({
      trigger: "schedule",
      state: "queued",
      fireTime: T0 + 10 * MIN,
      attempt: 1,
      retryOf: null,
      requestedBy: `schedule:${id}`,
      idempotencyKey: firingIdempotencyKey(id, new Date(T0 + 10 * MIN), 1),
      queuedAt: T0 + 10 * MIN,
    });
    expect((await deliveriesOf(run!.id)).map((d) => [d.destinationId, d.state])).toEqual([[destId, "pending"]]);
    const sent = sentFor(agent, id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      idempotencyKey: run!.idempotencyKey,
      payload: { runId: run!.id, datasourceId: dsId, trigger: "schedule", scheduleId: id, requestedBy: `schedule:${id}`, options: { format: "custom", verify: true } },
    });
    await pass(s);
    expect(await runsOf(id)).toHaveLength(1);
  });

  it("two schedulers ticking at once on one database record each firing once", async () => {
    answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock);
    const [a, b] = [scheduler(clock), scheduler(clock)];
    for (const at of [T0 + 10 * MIN + 1 * SEC, T0 + 20 * MIN + 2 * SEC, T0 + 30 * MIN]) {
      clock.t = at;
      await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
      await Promise.all([a.idle(), b.idle()]);
    }
    const runs = await runsOf(id);
    expect(runs.map((r) => [iso(r.fireTime!), r.attempt, r.state])).toEqual([
      [iso(T0 + 10 * MIN), 1, "queued"],
      [iso(T0 + 20 * MIN), 1, "queued"],
      [iso(T0 + 30 * MIN), 1, "queued"],
    ]);
    for (const r of runs) expect(await deliveriesOf(r.id)).toHaveLength(1);
    // Both may send a firing; it is one run under one key, so the agent runs it once.
    const sent = sentFor(agent, id);
    expect(new Set(sent.map((f) => f.payload.runId))).toEqual(new Set(runs.map((r) => r.id)));
    for (const f of sent) expect(f.idempotencyKey).toBe(runs.find((r) => r.id === f.payload.runId)!.idempotencyKey);
    const { db, t } = srv.ctx.database;
    expect((await db.select().from(t.schedules).where(eq(t.schedules.id, id)))[0]).toMatchObject({ fireCursor: T0 + 30 * MIN, lastFiredAt: T0 + 30 * MIN });
  });

  it("a restart neither loses nor doubles a firing; firings past grace while down are recorded missed", async () => {
    answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock);
    const before = scheduler(clock);
    clock.t = T0 + 10 * MIN + SEC;
    await pass(before);
    await before.stop();
    // The process died after recording 00:20's run but before moving the cursor or sending it.
    clock.t = T0 + 20 * MIN;
    expect(await recordScheduledRun(srv.ctx, { scheduleId: id, datasourceId: dsId, agentId: agent.identity.agentId, fireTime: new Date(T0 + 20 * MIN), attempt: 1, options: undefined, state: "pending" })).toBeDefined();

    const after = scheduler(clock);
    clock.t = T0 + 20 * MIN + 5 * SEC;
    await pass(after);
    clock.t = T0 + 30 * MIN;
    await pass(after);
    await after.stop();
    // Down from 00:30 to 01:10:30: 00:40 is past grace, 00:50 and 01:00 within it but older than 01:10.
    const third = scheduler(clock);
    clock.t = T0 + 70 * MIN + 30 * SEC;
    await pass(third);
    const runs = await runsOf(id);
    expect(runs.map((r) => [iso(r.fireTime!), r.state])).toEqual([
      [iso(T0 + 10 * MIN), "queued"],
      [iso(T0 + 20 * MIN), "queued"],
      [iso(T0 + 30 * MIN), "queued"],
      [iso(T0 + 40 * MIN), "missed"],
      [iso(T0 + 50 * MIN), "missed"],
      [iso(T0 + 60 * MIN), "missed"],
      [iso(T0 + 70 * MIN), "queued"],
    ]);
    expect(errorOf(runs[3]!)).toMatchObject({ code: "FIRING_MISSED", retryable: false, details: { reason: "late" } });
    expect(runs[3]!.finishedAt).toBe(clock.t);
    expect(await deliveriesOf(runs[3]!.id)).toEqual([]);
    expect(new Set(sentFor(agent, id).map((f) => f.payload.runId)).size).toBe(4);
  });

  it("a run the agent starts at once, reporting it before its answer, still records when it was queued", async () => {
    answer = { kind: "accept", startFirst: true };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock);
    const s = scheduler(clock);
    clock.t = T0 + 10 * MIN;
    await pass(s);
    answer = { kind: "accept" };
    const [run] = await runsOf(id);
    expect(run).toMatchObject({ state: "running", queuedAt: T0 + 10 * MIN, startedAt: expect.any(Number) });
  });

  it("shows no lastFiredAt until the schedule fires; a firing missed while down, a pause and a resume do not set it", async () => {
    answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock, { cron: "0 * * * *" });
    const view = () => getSchedule({ database: srv.ctx.database, clock }, id);
    expect(await view()).toMatchObject({ lastFiredAt: null, nextFireAt: iso(T0 + 60 * MIN).replace(".000Z", "+00:00") });
    const s = scheduler(clock);
    // Down through 01:00 and its grace window: that firing is recorded missed, it did not run.
    clock.t = T0 + 60 * MIN + GRACE + SEC;
    await pass(s);
    expect((await runsOf(id)).map((r) => r.state)).toEqual(["missed"]);
    expect((await view()).lastFiredAt).toBeNull();
    clock.t = T0 + 120 * MIN;
    await pass(s);
    expect((await view()).lastFiredAt).toBe(iso(T0 + 120 * MIN));
    await updateSchedule({ ...srv.ctx, clock, log }, id, { paused: true });
    clock.t = T0 + 150 * MIN;
    await updateSchedule({ ...srv.ctx, clock, log }, id, { paused: false });
    expect(await view()).toMatchObject({ lastFiredAt: iso(T0 + 120 * MIN), nextFireAt: iso(T0 + 180 * MIN).replace(".000Z", "+00:00") });
  });

  describe("an agent offline at fire time", () => {
    let away: FakeAgent;
    let awayDs: string;
    let back: FakeAgent | undefined;
    beforeAll(async () => {
      away = behave(await srv.agent());
      awayDs = await datasourceOn(away);
    });
    afterAll(() => back?.ws.terminate());

    async function goOffline(a: FakeAgent) {
      a.ws.terminate();
      await vi.waitFor(() => expect(srv.ctx.link.isOnline(a.identity.agentId)).toBe(false));
    }
    async function reconnect(): Promise<FakeAgent> {
      back = behave(await FakeAgent.connect(srv.url, away.identity));
      await vi.waitFor(() => expect(srv.ctx.link.isOnline(away.identity.agentId)).toBe(true));
      return back;
    }

    it("gets its run when it reconnects within the grace window; an older pending firing is superseded", async () => {
      answer = { kind: "accept" };
      await goOffline(away);
      const clock = new TestClock(T0);
      const id = (await createSchedule({ database: srv.ctx.database, clock }, { datasourceId: awayDs, cron: "*/10 * * * *", timezone: "UTC", destinationIds: [destId] })).id;
      const s = scheduler(clock);
      srv.ctx.scheduler = s;
      clock.t = T0 + 10 * MIN + SEC;
      await pass(s);
      clock.t = T0 + 20 * MIN + SEC;
      await pass(s);
      let runs = await runsOf(id);
      expect(runs.map((r) => r.state)).toEqual(["missed", "pending"]);
      expect(errorOf(runs[0]!)).toMatchObject({ code: "FIRING_MISSED", details: { reason: "superseded", by: runs[1]!.id } });

      clock.t = T0 + 29 * MIN; // 00:20's run is 9 minutes late: within grace, and 00:30 is not due yet
      const a = await reconnect();
      await vi.waitFor(async () => expect((await runsOf(id))[1]!.state).toBe("queued"));
      await s.idle();
      runs = await runsOf(id);
      expect(sentFor(a, id).map((f) => f.payload.runId)).toEqual([runs[1]!.id]);
      expect(await deliveriesOf(runs[1]!.id)).toHaveLength(1);
      srv.ctx.scheduler = undefined;
      await goOffline(a);
    });

    it("is recorded missed past the grace window, and is not sent when it comes back", async () => {
      answer = { kind: "accept" };
      const clock = new TestClock(T0);
      const id = (await createSchedule({ database: srv.ctx.database, clock }, { datasourceId: awayDs, cron: "0 * * * *", timezone: "Asia/Kolkata", destinationIds: [destId] })).id;
      const s = scheduler(clock);
      srv.ctx.scheduler = s;
      // Hourly in Kolkata (+05:30) fires at minute 30 UTC.
      clock.t = T0 + 30 * MIN + SEC;
      await pass(s);
      expect((await runsOf(id)).map((r) => r.state)).toEqual(["pending"]);
      clock.t = T0 + 30 * MIN + GRACE;
      await pass(s);
      expect((await runsOf(id)).map((r) => r.state)).toEqual(["pending"]);
      clock.t = T0 + 30 * MIN + GRACE + 1;
      await pass(s);
      const [run] = await runsOf(id);
      expect(run).toMatchObject({ state: "missed", fireTime: T0 + 30 * MIN, finishedAt: clock.t });
      expect(errorOf(run!)).toMatchObject({ code: "FIRING_MISSED", details: { reason: "agent-offline", agentId: away.identity.agentId } });

      const a = await reconnect();
      await s.idle();
      await pass(s);
      expect(sentFor(a, id)).toEqual([]);
      expect((await runsOf(id)).map((r) => r.state)).toEqual(["missed"]);
      srv.ctx.scheduler = undefined;
    });
  });

  describe("retries", () => {
    async function failRun(runId: string, at: number, retryable: boolean) {
      await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: iso(at - SEC) }, runId);
      await agent.sendEvent("backupFailed", { finishedAt: iso(at), error: { code: "DUMP_FAILED", message: "pg_dump exited 1", retryable } }, runId);
    }

    it("retries a retryable failure as a new run with attempt and retryOf after the backoff, up to retry.attempts", async () => {
      answer = { kind: "accept" };
      const clock = new TestClock(T0);
      const id = await newSchedule(clock, { cron: "0 */6 * * *", retry: { attempts: 2, backoffMinutes: 7 }, options: { compression: { codec: "zstd", level: 3 } } });
      const s = scheduler(clock);
      const fire = T0 + 6 * 60 * MIN;
      clock.t = fire;
      await pass(s);
      const [first] = await runsOf(id);
      await failRun(first!.id, fire + MIN, true);

      clock.t = fire + 8 * MIN - 1;
      await pass(s);
      expect(await runsOf(id)).toHaveLength(1);
      clock.t = fire + 8 * MIN;
      await pass(s);
      const second = (await runsOf(id))[1]!;
      expect(second).toMatchObject({
        state: "queued",
        fireTime: fire,
        attempt: 2,
        retryOf: first!.id,
        idempotencyKey: firingIdempotencyKey(id, new Date(fire), 2),
        options: first!.options,
      });
      expect(sentFor(agent, id).at(-1)).toMatchObject({ idempotencyKey: second.idempotencyKey, payload: { runId: second.id, options: { compression: { codec: "zstd", level: 3 } } } });
      expect(await deliveriesOf(second.id)).toHaveLength(1);

      // A restart in between: the next retry is found in the runs table, not in a timer.
      await failRun(second.id, fire + 9 * MIN, true);
      const restarted = scheduler(clock);
      clock.t = fire + 16 * MIN;
      await pass(restarted);
      await pass(s);
      const third = (await runsOf(id))[2]!;
      expect(third).toMatchObject({ attempt: 3, retryOf: second.id, state: "queued" });
      await failRun(third.id, fire + 17 * MIN, true);
      clock.t = fire + 60 * MIN;
      await pass(restarted);
      expect((await runsOf(id)).map((r) => [r.attempt, r.state])).toEqual([
        [1, "failed"],
        [2, "failed"],
        [3, "failed"],
      ]);
    });

    it("does not retry a failure that is not retryable", async () => {
      answer = { kind: "accept" };
      const clock = new TestClock(T0);
      const id = await newSchedule(clock, { cron: "0 */6 * * *" });
      const s = scheduler(clock);
      clock.t = T0 + 6 * 60 * MIN;
      await pass(s);
      await failRun((await runsOf(id))[0]!.id, clock.t + MIN, false);
      clock.t += 30 * MIN;
      await pass(s);
      expect((await runsOf(id)).map((r) => [r.attempt, r.state])).toEqual([[1, "failed"]]);
    });

    it("records the agent's refusal as a failed run, which its retryable error retries", async () => {
      const clock = new TestClock(T0);
      const id = await newSchedule(clock, { cron: "0 */6 * * *", retry: { attempts: 1, backoffMinutes: 5 } });
      const s = scheduler(clock);
      answer = { kind: "refuse", error: { code: "QUEUE_OVERFLOW", message: "queue full", retryable: true, details: { maxQueueSize: 20 } } };
      clock.t = T0 + 6 * 60 * MIN;
      await pass(s);
      const [refused] = await runsOf(id);
      expect(refused).toMatchObject({ state: "failed", finishedAt: clock.t });
      expect(errorOf(refused!)).toMatchObject({ code: "QUEUE_OVERFLOW", retryable: true });
      expect((await deliveriesOf(refused!.id)).map((d) => d.state)).toEqual(["failed"]);
      answer = { kind: "accept" };
      clock.t += 5 * MIN;
      await pass(s);
      expect((await runsOf(id)).map((r) => [r.attempt, r.state, r.retryOf])).toEqual([
        [1, "failed", null],
        [2, "queued", refused!.id],
      ]);
    });
  });

  it("a firing the agent coalesces into its queued run of the schedule ends cancelled, naming that run", async () => {
    const clock = new TestClock(T0);
    const id = await newSchedule(clock);
    const s = scheduler(clock);
    clock.t = T0 + 10 * MIN;
    await pass(s);
    const [waiting] = await runsOf(id);
    answer = { kind: "coalesce", into: waiting!.id };
    clock.t = T0 + 20 * MIN;
    await pass(s);
    answer = { kind: "accept" };
    const [, merged] = await runsOf(id);
    expect(merged).toMatchObject({ state: "cancelled", cancelReason: `coalesced into run ${waiting!.id}`, finishedAt: clock.t });
    expect((await deliveriesOf(merged!.id)).map((d) => d.state)).toEqual(["failed"]);
    expect((await runsOf(id))[0]!.state).toBe("queued");
    // Not retried: nothing failed.
    clock.t += 10 * MIN - SEC;
    await pass(s);
    expect(await runsOf(id)).toHaveLength(2);
  });

  it("a paused schedule does not fire, drops its pending run, and does not make up the pause when resumed", async () => {
    answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock);
    const s = scheduler(clock);
    // A pending run (as if the agent had been away), then the pause.
    await recordScheduledRun(srv.ctx, { scheduleId: id, datasourceId: dsId, agentId: agent.identity.agentId, fireTime: new Date(T0 + 10 * MIN), attempt: 1, options: undefined, state: "pending" });
    clock.t = T0 + 10 * MIN + SEC;
    await updateSchedule({ ...srv.ctx, clock, log }, id, { paused: true });
    expect((await runsOf(id)).map((r) => [r.state, r.cancelReason])).toEqual([["cancelled", "schedule paused"]]);
    clock.t = T0 + 40 * MIN + SEC;
    await pass(s);
    expect(await runsOf(id)).toHaveLength(1);
    await updateSchedule({ ...srv.ctx, clock, log }, id, { paused: false });
    await pass(s);
    expect(await runsOf(id)).toHaveLength(1);
    clock.t = T0 + 50 * MIN;
    await pass(s);
    expect((await runsOf(id)).map((r) => [iso(r.fireTime!), r.state])).toEqual([
      [iso(T0 + 10 * MIN), "cancelled"],
      [iso(T0 + 50 * MIN), "queued"],
    ]);
    expect(sentFor(agent, id)).toHaveLength(1);
  });
});
