import { describe, expect, it } from "vitest";
import { openDatabase } from "../db/index.js";
import { GRACE, MIN, SEC, T0, useFiringRig } from "../testing/firing-rig.js";
import { TestClock } from "../testing/test-clock.js";
import { createScheduler } from "./loop.js";

// Two control-plane replicas on one PostgreSQL database, each with its own connections, as two
// processes have: only the holder of the scheduler lock fires; when it dies, the other takes over.
describe("one scheduler among control-plane replicas (postgres)", () => {
  const rig = useFiringRig("postgres");

  it("fires from the lock's holder only; when the holder's process dies the other takes over, no firing lost or doubled", async () => {
    const open = () => openDatabase({ databaseUrl: rig.srv.ctx.env.databaseUrl, sqlitePath: "/nonexistent/unused.db" });
    const [dbA, dbB] = [await open(), await open()];
    const replica = (database: typeof dbA) => createScheduler({ ...rig.srv.ctx, database, clock, log: rig.log }, { tickMs: SEC, graceMs: GRACE });
    const clock = new TestClock(T0);
    const id = await rig.newSchedule(clock, { cron: "*/10 * * * *" });
    const a = replica(dbA);
    const b = replica(dbB);
    try {
      await rig.pass(a); // nothing due yet: A takes the lock
      clock.t = T0 + 10 * MIN;
      await rig.pass(b);
      expect(await rig.runsOf(id)).toEqual([]); // B does not hold the lock: it fires nothing
      await rig.pass(a);
      expect((await rig.runsOf(id)).map((r) => r.fireTime)).toEqual([T0 + 10 * MIN]);

      // A's process dies: its connections close and PostgreSQL frees the lock with them.
      await dbA.close();
      clock.t = T0 + 20 * MIN;
      await rig.pass(b);
      expect((await rig.runsOf(id)).map((r) => r.fireTime)).toEqual([T0 + 10 * MIN, T0 + 20 * MIN]);
      // A firing falls due at B alone after it; a pass of B again records nothing twice.
      await rig.pass(b);
      expect(await rig.runsOf(id)).toHaveLength(2);
    } finally {
      await b.stop();
      await dbB.close();
    }
  });

  it("hands the lock over when its holder stops cleanly", async () => {
    const open = () => openDatabase({ databaseUrl: rig.srv.ctx.env.databaseUrl, sqlitePath: "/nonexistent/unused.db" });
    const [dbA, dbB] = [await open(), await open()];
    try {
      expect(await dbA.holdsLock(4242)).toBe(true);
      expect(await dbA.holdsLock(4242)).toBe(true); // held, not taken twice
      expect(await dbB.holdsLock(4242)).toBe(false);
      await dbA.releaseLock(4242);
      expect(await dbB.holdsLock(4242)).toBe(true);
      expect(await dbA.holdsLock(4242)).toBe(false);
    } finally {
      await dbA.close();
      await dbB.close();
    }
  });
});
