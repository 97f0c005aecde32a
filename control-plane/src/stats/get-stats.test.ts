import { type Clock, newId } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactObjectName } from "../deliveries/object-name.js";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { getStats } from "./get-stats.js";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const DAY = 86_400_000;
const clock: Clock = { now: () => new Date(NOW), setTimeout: () => () => {} };

describe.each(DIALECTS)("GET /stats figures on %s", (dialect) => {
  let tdb: TestDatabase;
  const ctx = () => ({ database: tdb.database, clock });
  const ids = { good: "", older: "", deletedNewer: "" };

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    const { db, t } = tdb.database;
    await db.insert(t.agents).values({ id: "agt_1", name: "a", hostname: "h", keyId: "k1", publicKeyJwk: "{}", status: "online", createdAt: 0 });
    for (const [id, name] of [["ds_a", "alpha"], ["ds_b", "beta"], ["ds_c", "gamma"]]) {
      await db.insert(t.datasources).values({ id: id!, agentId: "agt_1", name: name!, engine: "postgres", connectionRedacted: "{}", createdAt: 0 });
    }
    for (const [id, name, maxSizeGb] of [["dst_1", "disk", null], ["dst_2", "bucket", 5]] as const) {
      await db.insert(t.destinations).values({ id, name, type: "local", config: "{}", createdAt: 0, maxSizeGb });
    }
    await db.insert(t.destinations).values({ id: "dst_gone", name: "retired", type: "local", config: "{}", createdAt: 0, deletedAt: 1 });

    let n = 0;
    const objectNames = new Map<string, string>();
    const run = async (daysAgo: number, state: string, o: { ds?: string; size?: number; durationMs?: number; kind?: string } = {}) => {
      const createdAt = NOW - daysAgo * DAY;
      const id = `run_${String(n++).padStart(3, "0")}`;
      await db.insert(t.runs).values({
        id, kind: o.kind ?? "backup", trigger: "manual", agentId: "agt_1", datasourceId: o.ds ?? "ds_a", state, idempotencyKey: newId("idem"),
        sizeBytes: o.size ?? null, startedAt: createdAt, finishedAt: createdAt + (o.durationMs ?? 1000), createdAt,
      });
      objectNames.set(id, artifactObjectName({ id, datasourceId: o.ds ?? "ds_a", createdAt, fileName: null }));
      return id;
    };
    const deliver = async (runId: string, destinationId: string, bytes: number, extra: { state?: string; deletedAt?: number } = {}) =>
      db.insert(t.deliveries).values({ id: newId("dlv"), runId, destinationId, state: extra.state ?? "completed", path: objectNames.get(runId)!, attempts: 1, bytes, updatedAt: 0, deletedAt: extra.deletedAt ?? null });

    // Last 7 days: 4 completed, 1 failed, 1 missed (a cancelled one and a restore do not count).
    ids.good = await run(0.1, "completed", { size: 100, durationMs: 2000 });
    await run(0.2, "completed", { size: 300, durationMs: 4000 });
    await run(1.5, "failed");
    await run(2.5, "missed", { ds: "ds_b" });
    await run(3.5, "completed", { ds: "ds_b", size: 50 });
    await run(6.5, "completed", { size: 10 });
    await run(1.2, "cancelled");
    await run(0.3, "completed", { kind: "restore" });
    // 8..30 days ago: 2 completed, 2 failed. Older than 30 days: not counted at all.
    ids.older = await run(10, "completed", { ds: "ds_b", size: 70 });
    await run(12, "completed", { size: 1 });
    await run(20, "failed");
    await run(29, "failed");
    await run(45, "failed");
    await run(400, "completed", { ds: "ds_c" });

    await deliver(ids.good, "dst_1", 100);
    await deliver(ids.good, "dst_2", 100);
    await deliver(ids.older, "dst_1", 70);
    // ds_b's newer backup was deleted by retention: the older one is its last good backup.
    ids.deletedNewer = await run(3.4, "completed", { ds: "ds_b", size: 55 });
    await deliver(ids.deletedNewer, "dst_1", 55, { deletedAt: NOW });
    await deliver(await run(0.05, "completed", { size: 5 }), "dst_2", 5, { state: "failed" });
    await deliver(ids.good, "dst_gone", 999);

    // ds_a daily at 03:00 UTC, ds_b hourly (its last good backup is 10 days old), ds_c's schedule paused.
    const schedule = async (id: string, datasourceId: string, cron: string, paused = false) =>
      db.insert(t.schedules).values({ id, datasourceId, name: id, cron, timezone: "UTC", destinationIds: '["dst_1"]', paused, fireCursor: 0, createdAt: 0, updatedAt: 0 });
    await schedule("sch_a", "ds_a", "0 3 * * *");
    await schedule("sch_b", "ds_b", "0 * * * *");
    await schedule("sch_c", "ds_c", "0 * * * *", true);
  });
  afterAll(async () => tdb?.cleanup());

  it("rates success over 7 and 30 days: completed against failed and missed", async () => {
    const stats = await getStats(ctx(), { days: 30 });
    expect(stats.successRate.days7).toEqual({ completed: 6, failed: 1, missed: 1, rate: 6 / 8 });
    expect(stats.successRate.days30).toEqual({ completed: 8, failed: 3, missed: 1, rate: 8 / 12 });
    expect(stats.generatedAt).toBe(new Date(NOW).toISOString());
  });

  it("names each datasource's last good backup: completed and still held by a destination, and whether its schedules found it late", async () => {
    const stats = await getStats(ctx(), { days: 30 });
    expect(stats.lastGoodBackup).toEqual([
      {
        datasourceId: "ds_a", datasourceName: "alpha", runId: ids.good, finishedAt: new Date(NOW - 0.1 * DAY + 2000).toISOString(),
        activeSchedules: 1, dueAt: "2026-11-25T03:00:00.000Z", overdue: false,
      },
      {
        datasourceId: "ds_b", datasourceName: "beta", runId: ids.older, finishedAt: new Date(NOW - 10 * DAY + 1000).toISOString(),
        activeSchedules: 1, dueAt: "2026-11-14T13:00:00.000Z", overdue: true,
      },
      { datasourceId: "ds_c", datasourceName: "gamma", runId: null, finishedAt: null, activeSchedules: 0, dueAt: null, overdue: false },
    ]);
  });

  it("sums live delivered bytes per live destination", async () => {
    const stats = await getStats(ctx(), { days: 30 });
    expect(stats.storage).toEqual([
      { destinationId: "dst_2", name: "bucket", type: "local", bytes: 100, backups: 1, maxSizeGb: 5 },
      { destinationId: "dst_1", name: "disk", type: "local", bytes: 170, backups: 2, maxSizeGb: null },
    ]);
  });

  it("gives one entry per UTC day with counts, bytes and durations", async () => {
    const stats = await getStats(ctx(), { days: 7 });
    expect(stats.series.map((d) => d.day)).toEqual(["2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]);
    const today = stats.series[6]!;
    expect(today).toEqual({ day: "2026-11-24", backups: 3, completed: 3, failed: 0, missed: 0, bytes: 405, avgDurationMs: Math.round((2000 + 4000 + 1000) / 3), maxDurationMs: 4000 });
    expect(stats.series[1]).toMatchObject({ day: "2026-11-19", backups: 0, completed: 0, bytes: 0, avgDurationMs: null });
    expect(stats.series.find((d) => d.day === "2026-11-23")).toMatchObject({ backups: 2, failed: 1, missed: 0, completed: 0 });
    expect(stats.series.find((d) => d.day === "2026-11-22")).toMatchObject({ backups: 1, failed: 0, missed: 1 });
    expect((await getStats(ctx(), { days: 30 })).series).toHaveLength(30);
  });
});
