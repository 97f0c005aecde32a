import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createSchedule } from "../schedules/create-schedule.js";
import { DIALECTS } from "../testing/databases.js";
import { FakeAgent } from "../testing/fake-agent.js";
import { GRACE, MIN, SEC, T0, useFiringRig } from "../testing/firing-rig.js";
import { TestClock } from "../testing/test-clock.js";

describe.each(DIALECTS)("firing for an agent offline at fire time on %s", (dialect) => {
  const rig = useFiringRig(dialect);
  const { behave, scheduler, pass, runsOf, deliveriesOf, sentFor, errorOf, datasourceOn } = rig;

  let away: FakeAgent;
  let awayDs: string;
  let back: FakeAgent | undefined;
  beforeAll(async () => {
    away = behave(await rig.srv.agent());
    awayDs = await datasourceOn(away);
  });
  afterAll(() => back?.ws.terminate());

  async function goOffline(a: FakeAgent) {
    a.ws.terminate();
    await vi.waitFor(() => expect(rig.srv.ctx.link.isOnline(a.identity.agentId)).toBe(false));
  }
  async function reconnect(): Promise<FakeAgent> {
    back = behave(await FakeAgent.connect(rig.srv.url, away.identity));
    await vi.waitFor(() => expect(rig.srv.ctx.link.isOnline(away.identity.agentId)).toBe(true));
    return back;
  }

  it("gets its run when it reconnects within the grace window; an older pending firing is superseded", async () => {
    rig.answer = { kind: "accept" };
    await goOffline(away);
    const clock = new TestClock(T0);
    const id = (await createSchedule({ database: rig.srv.ctx.database, clock }, { datasourceId: awayDs, cron: "*/10 * * * *", timezone: "UTC", destinationIds: [rig.destId] })).id;
    const s = scheduler(clock);
    rig.srv.ctx.scheduler = s;
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
    rig.srv.ctx.scheduler = undefined;
    await goOffline(a);
  });

  it("is recorded missed past the grace window, and is not sent when it comes back", async () => {
    rig.answer = { kind: "accept" };
    const clock = new TestClock(T0);
    const id = (await createSchedule({ database: rig.srv.ctx.database, clock }, { datasourceId: awayDs, cron: "0 * * * *", timezone: "Asia/Kolkata", destinationIds: [rig.destId] })).id;
    const s = scheduler(clock);
    rig.srv.ctx.scheduler = s;
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
    rig.srv.ctx.scheduler = undefined;
  });
});
