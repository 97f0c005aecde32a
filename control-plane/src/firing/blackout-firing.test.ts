import { describe, expect, it } from "vitest";
import { firingIdempotencyKey } from "./firing-key.js";
import { recordScheduledRun } from "./run-records.js";
import { getSchedule } from "../schedules/read-schedules.js";
import { DIALECTS } from "../testing/databases.js";
import { iso, MIN, SEC, T0, useFiringRig } from "../testing/firing-rig.js";
import { TestClock } from "../testing/test-clock.js";

// T0 is Tuesday 2030-01-01 00:00 UTC; the schedules fire every ten minutes.
const WINDOW = { days: ["tue" as const], from: "00:15", to: "00:45" };

describe.each(DIALECTS)("firings in blackout windows on %s", (dialect) => {
  const rig = useFiringRig(dialect);
  const { scheduler, pass, newSchedule, runsOf, sentFor, errorOf } = rig;

  it("defers the firings inside a window to its end: one run there, across a restart and two replicas", async () => {
    rig.answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock, { blackout: [WINDOW] });
    const first = scheduler(clock);
    for (const m of [10, 20, 30, 40, 44]) {
      clock.t = T0 + m * MIN;
      await pass(first);
    }
    expect((await runsOf(id)).map((r) => iso(r.fireTime!))).toEqual([iso(T0 + 10 * MIN)]);
    expect((await getSchedule({ database: rig.srv.ctx.database, clock }, id)).nextFireAt).toBe("2030-01-01T00:45:00+00:00");
    await first.stop();

    // Restarted at the window's end, as two replicas ticking at once.
    clock.t = T0 + 45 * MIN;
    const [a, b] = [scheduler(clock), scheduler(clock)];
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([a.idle(), b.idle()]);
    clock.t = T0 + 45 * MIN + 30 * SEC;
    await pass(a);
    clock.t = T0 + 50 * MIN;
    await pass(b);
    const runs = await runsOf(id);
    expect(runs.map((r) => [iso(r.fireTime!), r.state])).toEqual([
      [iso(T0 + 10 * MIN), "queued"],
      [iso(T0 + 45 * MIN), "queued"],
      [iso(T0 + 50 * MIN), "queued"],
    ]);
    expect(runs[1]!.idempotencyKey).toBe(firingIdempotencyKey(id, new Date(T0 + 45 * MIN), 1));
    expect(new Set(sentFor(rig.agent, id).map((f) => f.payload.runId)).size).toBe(3);
  });

  it("skip: each firing inside the agent's window is recorded missed, naming the window", async () => {
    rig.answer = { kind: "accept" };
    const admin = await rig.srv.token("admin");
    const patch = (json: unknown) => rig.srv.api(`/api/v1/agents/${rig.agent.identity.agentId}`, { method: "PATCH", token: admin, json });
    expect((await patch({ blackout: [{ days: ["tue"], from: "01:15", to: "01:45" }], timezone: "Europe/Berlin" })).status).toBe(200);
    try {
      const clock = new TestClock(T0);
      const id = await newSchedule(clock, { blackoutMisfire: "skip" });
      const s = scheduler(clock);
      for (const m of [10, 20, 30, 40, 50]) {
        clock.t = T0 + m * MIN;
        await pass(s);
      }
      const runs = await runsOf(id);
      expect(runs.map((r) => [iso(r.fireTime!), r.state])).toEqual([
        [iso(T0 + 10 * MIN), "queued"],
        [iso(T0 + 20 * MIN), "missed"],
        [iso(T0 + 30 * MIN), "missed"],
        [iso(T0 + 40 * MIN), "missed"],
        [iso(T0 + 50 * MIN), "queued"],
      ]);
      expect(errorOf(runs[1]!)).toMatchObject({
        code: "FIRING_MISSED",
        message: expect.stringContaining("agent window tue 01:15-01:45 (Europe/Berlin)"),
        details: { reason: "blackout", window: { source: "agent", from: "01:15", to: "01:45", timezone: "Europe/Berlin" }, endsAt: iso(T0 + 45 * MIN) },
      });
    } finally {
      expect((await patch({ blackout: [], timezone: "UTC" })).status).toBe(200);
    }
  });

  it("a run still waiting when a window starts is not sent inside it: sent at its end within grace, else missed naming the window", async () => {
    rig.answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = await newSchedule(clock, { cron: "0 5 * * *", blackout: [WINDOW] });
    const waiting = async (fireTime: number) =>
      (await recordScheduledRun(rig.srv.ctx, { scheduleId: id, datasourceId: rig.dsId, agentId: rig.agent.identity.agentId, fireTime: new Date(fireTime), attempt: 1, options: undefined, state: "pending" }))!;
    const s = scheduler(clock);
    // Recorded at 00:14 (its agent away, say); at 00:20 the window holds it back.
    const soon = await waiting(T0 + 14 * MIN);
    clock.t = T0 + 20 * MIN;
    await pass(s);
    expect((await runsOf(id)).map((r) => r.state)).toEqual(["pending"]);
    expect(sentFor(rig.agent, id)).toEqual([]);
    // Its deadline (00:44) comes before the window's end (00:45): missed, naming the window.
    clock.t = T0 + 44 * MIN + SEC;
    await pass(s);
    const [missed] = await runsOf(id);
    expect(missed).toMatchObject({ id: soon, state: "missed" });
    expect(errorOf(missed!)).toMatchObject({ code: "FIRING_MISSED", details: { reason: "blackout", window: { source: "schedule", from: "00:15", to: "00:45" } } });

    // One recorded at 00:20 (deadline 00:50) waits, and is sent once the window ended.
    const later = await waiting(T0 + 20 * MIN);
    await pass(s);
    expect(sentFor(rig.agent, id)).toEqual([]);
    clock.t = T0 + 45 * MIN;
    await pass(s);
    expect((await runsOf(id)).find((r) => r.id === later)).toMatchObject({ state: "queued" });
    expect(sentFor(rig.agent, id).map((f) => f.payload.runId)).toEqual([later]);
  });
});
