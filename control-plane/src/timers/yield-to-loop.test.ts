import { newId, systemClock } from "@holdfast/shared";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../context.js";
import { type Database, openDatabase } from "../db/index.js";
import { checkBackupsMissed, RPO_BATCH } from "../notifications/backup-missed.js";
import { executeRetention } from "../retention/execute-retention.js";
import { createTestDatabase, type TestDatabase } from "../testing/databases.js";
import { forEachBatch } from "./yield-to-loop.js";

const DAY = 86_400_000;

/**
 * Runs `pass` while a callback re-arms itself with setImmediate, and returns what happened in order:
 * "tick" each time the event loop turned, "query" each statement the pass sent. On SQLite's
 * synchronous driver a pass that never yields sends every statement before the first tick.
 */
async function interleaving<R>(events: string[], pass: () => Promise<R>): Promise<R> {
  let done = false;
  const tick = () => {
    if (done) return;
    events.push("tick");
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return await pass();
  } finally {
    done = true;
  }
}

/** Turns of the event loop with statements of the pass both before and after them. */
const ticksAmidQueries = (events: string[]) => {
  const first = events.indexOf("query");
  const last = events.lastIndexOf("query");
  return events.slice(first, last).filter((e) => e === "tick").length;
};

describe("forEachBatch", () => {
  it("works through every item in order, a batch at a time, and lets the loop turn between batches", async () => {
    const order: string[] = [];
    setImmediate(() => order.push("tick"));
    await forEachBatch([1, 2, 3, 4, 5], 2, async (batch) => void order.push(batch.join(",")));
    expect(order).toEqual(["1,2", "tick", "3,4", "5"]);
  });
});

describe("background passes over more datasources than one batch (SQLite)", () => {
  const COUNT = 2 * RPO_BATCH + 50;
  let base: TestDatabase;
  let logged: Database;
  const events: string[] = [];
  const params: unknown[] = [];
  const datasourceIds: string[] = [];
  const scheduleIds: string[] = [];
  const ctx = () =>
    ({
      database: logged,
      clock: systemClock,
      log: pino({ level: "silent" }),
      link: { isOnline: () => false },
      env: { manualRetentionDays: 0 },
    }) as unknown as AppContext;

  beforeAll(async () => {
    base = await createTestDatabase("sqlite");
    const { db, t } = base.database;
    const long = Date.now() - 30 * DAY;
    await db.insert(t.agents).values({ id: "agt_y", name: "a", hostname: "h", keyId: "key_y", publicKeyJwk: "{}", status: "online", createdAt: long });
    for (let i = 0; i < COUNT; i++) {
      const id = newId("ds");
      const scheduleId = newId("sch");
      datasourceIds.push(id);
      scheduleIds.push(scheduleId);
      await db.insert(t.datasources).values({ id, agentId: "agt_y", name: `db-${i}`, engine: "postgres", connectionRedacted: "{}", createdAt: long });
      // Daily, a month old, never backed up: overdue; a policy, so retention plans it.
      await db.insert(t.schedules).values({
        id: scheduleId, datasourceId: id, name: "daily", cron: "0 3 * * *", timezone: "UTC", destinationIds: "[]",
        retention: JSON.stringify({ keepLast: 1 }), fireCursor: long, createdAt: long, updatedAt: long,
      });
    }
    // The same file through a handle that reports each statement the pass sends.
    const logger = {
      logQuery: (_query: string, p: unknown[]) => {
        events.push("query");
        params.push(...p);
      },
    };
    logged = await openDatabase({ databaseUrl: undefined, sqlitePath: base.sqlitePath, logger });
  });
  afterAll(async () => {
    await logged?.close();
    await base?.cleanup();
  });

  it("the RPO watch judges every datasource and lets the loop turn between batches", async () => {
    events.length = 0;
    const report = await interleaving(events, () => checkBackupsMissed(ctx(), 0));
    expect(new Set(report.missed)).toEqual(new Set(datasourceIds));
    expect(ticksAmidQueries(events)).toBeGreaterThanOrEqual(2);
  });

  it("retention plans every schedule and lets the loop turn between them", async () => {
    events.length = 0;
    params.length = 0;
    await interleaving(events, () => executeRetention(ctx()));
    // Each schedule's backups were asked for by its id.
    const asked = new Set(params.filter((p) => typeof p === "string" && p.startsWith("sch_")));
    expect(asked).toEqual(new Set(scheduleIds));
    expect(ticksAmidQueries(events)).toBeGreaterThanOrEqual(COUNT);
  });
});
