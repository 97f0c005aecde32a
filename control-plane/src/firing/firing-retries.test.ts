import { describe, expect, it } from "vitest";
import { firingIdempotencyKey } from "./firing-key.js";
import { DIALECTS } from "../testing/databases.js";
import { iso, MIN, SEC, T0, useFiringRig } from "../testing/firing-rig.js";
import { TestClock } from "../testing/test-clock.js";

describe.each(DIALECTS)("firing retries on %s", (dialect) => {
  const rig = useFiringRig(dialect);
  const { scheduler, pass, newSchedule, runsOf, deliveriesOf, sentFor, errorOf } = rig;

  async function failRun(runId: string, at: number, retryable: boolean) {
    await rig.agent.sendEvent("backupStarted", { datasourceId: rig.dsId, startedAt: iso(at - SEC) }, runId);
    await rig.agent.sendEvent("backupFailed", { finishedAt: iso(at), error: { code: "DUMP_FAILED", message: "pg_dump exited 1", retryable } }, runId);
  }

  it("retries a retryable failure as a new run with attempt and retryOf after the backoff, up to retry.attempts", async () => {
    rig.answer = { kind: "accept" };
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
    expect(sentFor(rig.agent, id).at(-1)).toMatchObject({ idempotencyKey: second.idempotencyKey, payload: { runId: second.id, options: { compression: { codec: "zstd", level: 3 } } } });
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
    rig.answer = { kind: "accept" };
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
    rig.answer = { kind: "refuse", error: { code: "QUEUE_OVERFLOW", message: "queue full", retryable: true, details: { maxQueueSize: 20 } } };
    clock.t = T0 + 6 * 60 * MIN;
    await pass(s);
    const [refused] = await runsOf(id);
    expect(refused).toMatchObject({ state: "failed", finishedAt: clock.t });
    expect(errorOf(refused!)).toMatchObject({ code: "QUEUE_OVERFLOW", retryable: true });
    expect((await deliveriesOf(refused!.id)).map((d) => d.state)).toEqual(["failed"]);
    rig.answer = { kind: "accept" };
    clock.t += 5 * MIN;
    await pass(s);
    expect((await runsOf(id)).map((r) => [r.attempt, r.state, r.retryOf])).toEqual([
      [1, "failed", null],
      [2, "queued", refused!.id],
    ]);
  });
});
