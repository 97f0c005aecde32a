import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { recordScheduledRun } from "./run-records.js";
import { updateSchedule } from "../schedules/update-schedule.js";
import { getSchedule } from "../schedules/read-schedules.js";
import { firingIdempotencyKey } from "./firing-key.js";
import { DIALECTS } from "../testing/databases.js";
import { GRACE, iso, MIN, SEC, T0, useFiringRig } from "../testing/firing-rig.js";
import { TestClock } from "../testing/test-clock.js";

describe.each(DIALECTS)("firing loop on %s", (dialect) => {
  const rig = useFiringRig(dialect);
  const { scheduler, pass, newSchedule, runsOf, deliveriesOf, sentFor, errorOf, log } = rig;

  it("fires once, on time: a pending run, then queued once the agent accepts it, with its deliveries", async () => {
    rig.answer = { kind: "accept" };
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
    expect((await deliveriesOf(run!.id)).map((d) => [d.destinationId, d.state])).toEqual([[rig.destId, "pending"]]);
    const sent = sentFor(rig.agent, id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      idempotencyKey: run!.idempotencyKey,
      payload: { runId: run!.id, datasourceId: rig.dsId, trigger: "schedule", scheduleId: id, requestedBy: `schedule:${id}`, options: { format: "custom", verify: true } },
    });
    await pass(s);
    expect(await runsOf(id)).toHaveLength(1);
  });

  it("two schedulers ticking at once on one database record each firing once", async () => {
    rig.answer = { kind: "accept" };
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
    const sent = sentFor(rig.agent, id);
    expect(new Set(sent.map((f) => f.payload.runId))).toEqual(new Set(runs.map((r) => r.id)));
    for (const f of sent) expect(f.idempotencyKey).toBe(runs.find((r) => r.id === f.payload.runId)!.idempotencyKey);
    const { db, t } = rig.srv.ctx.database;
    expect((await db.select().from(t.schedules).where(eq(t.schedules.id, id)))[0]).toMatchObject({ fireCursor: T0 + 30 * MIN, lastFiredAt: T0 + 30 * MIN });
  });

  it("a restart neither loses nor doubles a firing; firings past grace while down are recorded missed", async () => {
    rig.answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock);
    const before = scheduler(clock);
    clock.t = T0 + 10 * MIN + SEC;
    await pass(before);
    await before.stop();
    // The process died after recording 00:20's run but before moving the cursor or sending it.
    clock.t = T0 + 20 * MIN;
    expect(await recordScheduledRun(rig.srv.ctx, { scheduleId: id, datasourceId: rig.dsId, agentId: rig.agent.identity.agentId, fireTime: new Date(T0 + 20 * MIN), attempt: 1, options: undefined, state: "pending" })).toBeDefined();

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
    expect(new Set(sentFor(rig.agent, id).map((f) => f.payload.runId)).size).toBe(4);
  });

  it("a run the agent starts at once, reporting it before its answer, still records when it was queued", async () => {
    rig.answer = { kind: "accept", startFirst: true };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock);
    const s = scheduler(clock);
    clock.t = T0 + 10 * MIN;
    await pass(s);
    rig.answer = { kind: "accept" };
    const [run] = await runsOf(id);
    expect(run).toMatchObject({ state: "running", queuedAt: T0 + 10 * MIN, startedAt: expect.any(Number) });
  });

  it("shows no lastFiredAt until the schedule fires; a firing missed while down, a pause and a resume do not set it", async () => {
    rig.answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock, { cron: "0 * * * *" });
    const view = () => getSchedule({ database: rig.srv.ctx.database, clock }, id);
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
    await updateSchedule({ ...rig.srv.ctx, clock, log }, id, { paused: true });
    clock.t = T0 + 150 * MIN;
    await updateSchedule({ ...rig.srv.ctx, clock, log }, id, { paused: false });
    expect(await view()).toMatchObject({ lastFiredAt: iso(T0 + 120 * MIN), nextFireAt: iso(T0 + 180 * MIN).replace(".000Z", "+00:00") });
  });

  it("a firing the agent coalesces into its queued run of the schedule ends cancelled, naming that run", async () => {
    const clock = new TestClock(T0);
    const id = await newSchedule(clock);
    const s = scheduler(clock);
    clock.t = T0 + 10 * MIN;
    await pass(s);
    const [waiting] = await runsOf(id);
    rig.answer = { kind: "coalesce", into: waiting!.id };
    clock.t = T0 + 20 * MIN;
    await pass(s);
    rig.answer = { kind: "accept" };
    const [, merged] = await runsOf(id);
    expect(merged).toMatchObject({ state: "cancelled", cancelReason: `coalesced into run ${waiting!.id}`, finishedAt: clock.t });
    expect((await deliveriesOf(merged!.id)).map((d) => d.state)).toEqual(["failed"]);
    expect((await runsOf(id))[0]!.state).toBe("queued");
    // Not retried: nothing failed.
    clock.t += 10 * MIN - SEC;
    await pass(s);
    expect(await runsOf(id)).toHaveLength(2);
  });

  it("a pause that lands while the firing is being sent withdraws the run the agent took, so it never runs", async () => {
    const clock = new TestClock(T0);
    const id = await newSchedule(clock);
    const s = scheduler(clock);
    const withdrawn: string[] = [];
    rig.agent.handlers.startBackup = async (f) => {
      // The operator pauses the schedule while the command is on its way; the agent then accepts it.
      await updateSchedule({ ...rig.srv.ctx, clock, log }, id, { paused: true });
      const runId = (f.payload as { runId: string }).runId;
      return { status: 202, data: { runId, state: "queued", queuedPosition: 1 } };
    };
    rig.agent.handlers.cancelQueuedBackup = (f) => {
      const runId = (f.payload as { runId: string }).runId;
      withdrawn.push(runId);
      return { status: 200, data: { runId, state: "cancelled", queuedPosition: null } };
    };
    try {
      clock.t = T0 + 10 * MIN;
      await pass(s);
      const [run] = await runsOf(id);
      expect(run).toMatchObject({ state: "cancelled", cancelReason: "schedule paused" });
      expect(withdrawn).toEqual([run!.id]);
    } finally {
      rig.behave(rig.agent);
      delete rig.agent.handlers.cancelQueuedBackup;
    }
  });

  it("a paused schedule does not fire, drops its pending run, and does not make up the pause when resumed", async () => {
    rig.answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock);
    const s = scheduler(clock);
    // A pending run (as if the agent had been away), then the pause.
    await recordScheduledRun(rig.srv.ctx, { scheduleId: id, datasourceId: rig.dsId, agentId: rig.agent.identity.agentId, fireTime: new Date(T0 + 10 * MIN), attempt: 1, options: undefined, state: "pending" });
    clock.t = T0 + 10 * MIN + SEC;
    await updateSchedule({ ...rig.srv.ctx, clock, log }, id, { paused: true });
    expect((await runsOf(id)).map((r) => [r.state, r.cancelReason])).toEqual([["cancelled", "schedule paused"]]);
    clock.t = T0 + 40 * MIN + SEC;
    await pass(s);
    expect(await runsOf(id)).toHaveLength(1);
    await updateSchedule({ ...rig.srv.ctx, clock, log }, id, { paused: false });
    await pass(s);
    expect(await runsOf(id)).toHaveLength(1);
    clock.t = T0 + 50 * MIN;
    await pass(s);
    expect((await runsOf(id)).map((r) => [iso(r.fireTime!), r.state])).toEqual([
      [iso(T0 + 10 * MIN), "cancelled"],
      [iso(T0 + 50 * MIN), "queued"],
    ]);
    expect(sentFor(rig.agent, id)).toHaveLength(1);
  });
});
