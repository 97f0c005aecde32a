import { join } from "node:path";
import { type Clock, newId, systemClock } from "@holdfast/shared";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { lastGoodBackups } from "../artifacts/good-backup.js";
import { artifactObjectName } from "../deliveries/object-name.js";
import { deliveredBackups } from "../retention/collect-backups.js";
import { protectedReasons } from "../retention/protected.js";
import { getStats } from "../stats/get-stats.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { startWebhookReceiver } from "../testing/webhook-receiver.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse("2026-11-24T12:00:00Z");

describe.each(DIALECTS)("RPO watch on %s", (dialect) => {
  let srv: TestServer;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let destinationId: string;
  // The control plane's time moves only when the test moves it; its timers are real, so sends go out.
  let now = T0;
  const clock: Clock = { now: () => new Date(now), setTimeout: systemClock.setTimeout };
  const ds = { stopped: "", paused: "", failing: "", unscheduled: "" };

  const api = async (method: string, path: string, json?: unknown) => {
    const res = await srv.api(`/api/v1${path}`, { method, token: admin, ...(json === undefined ? {} : { json }) });
    return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as Record<string, unknown> & { error?: { code: string } } };
  };
  const hitsOf = (kind: string) => receiver.hits.filter((h) => h.kind === kind);
  const sendsOf = async (kind: string) => {
    const { db, t } = srv.ctx.database;
    return db.select().from(t.notificationSends).where(eq(t.notificationSends.kind, kind));
  };

  /** A backup run as the firing loop and the agent leave it; a completed one delivered under its name unless said otherwise. */
  const backup = async (datasourceId: string, at: number, o: { state?: string; damaged?: boolean } = {}) => {
    const { db, t } = srv.ctx.database;
    const id = newId("run");
    const state = o.state ?? "completed";
    await db.insert(t.runs).values({
      id, kind: "backup", trigger: "schedule", agentId: "agt_watch", datasourceId, state, idempotencyKey: newId("idem"), fireTime: at,
      sizeBytes: state === "completed" ? 10 : null, sha256: state === "completed" ? "0".repeat(64) : null, startedAt: at, finishedAt: at + 5 * MIN, createdAt: at,
    });
    if (state === "completed") {
      await db.insert(t.deliveries).values({
        id: newId("dlv"), runId: id, destinationId, state: "completed", attempts: 1, bytes: 10, updatedAt: at,
        path: artifactObjectName({ id, datasourceId, createdAt: at, fileName: null }),
        ...(o.damaged ? { damagedAt: at + HOUR, damage: "missing" } : {}),
      });
    }
    return id;
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    srv = await startTestServer(dialect, { clock, scheduler: false, vars: { HOLDFAST_BACKUP_MISSED_CHECK_MS: "0", HOLDFAST_BACKUP_MISSED_GRACE_MS: String(10 * MIN), HOLDFAST_NOTIFY_BACKOFF_MS: "20" } });
    admin = await srv.token("admin");
    const dest = await api("POST", "/destinations", { name: "disk", type: "local", config: { path: join(srv.dir, "backups") } });
    expect(dest.status).toBe(201);
    destinationId = dest.body.id as string;
    const hook = await api("POST", "/notification-channels", { name: "ops", type: "webhook", config: { url: receiver.url, secret: "webhook-secret-0123456789" }, events: ["backup.missed", "backup.onTime"] });
    expect(hook.status, JSON.stringify(hook.body)).toBe(201);

    // An agent that never connects: its datasources' backups cannot run.
    const { db, t } = srv.ctx.database;
    await db.insert(t.agents).values({ id: "agt_watch", name: "db-host", hostname: "h", keyId: "k-watch", publicKeyJwk: "{}", status: "offline", createdAt: 0 });
    for (const name of Object.keys(ds) as (keyof typeof ds)[]) {
      ds[name] = newId("ds");
      await db.insert(t.datasources).values({ id: ds[name], agentId: "agt_watch", name, engine: "postgres", connectionRedacted: "{}", createdAt: 0 });
      // Every one had a good backup five minutes before noon.
      await backup(ds[name], T0 - 5 * MIN);
      if (name === "unscheduled") continue;
      await db.insert(t.schedules).values({
        id: newId("sch"), datasourceId: ds[name], name: "hourly", cron: "0 * * * *", timezone: "UTC", destinationIds: JSON.stringify([destinationId]),
        paused: name === "paused", fireCursor: 0, createdAt: 0, updatedAt: 0,
      });
    }
    // The failing one's noon and 13:00 firings ran and failed.
    await backup(ds.failing, T0, { state: "failed" });
    await backup(ds.failing, T0 + HOUR, { state: "failed" });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
    await receiver?.stop();
  });

  it("raises backup missed within the grace past what the schedule allows, whatever the cause, once", async () => {
    // Noon was due; an hourly schedule allows until 13:00, the grace until 13:10.
    now = T0 + HOUR + 9 * MIN;
    expect((await srv.rpoWatch.runNow()).missed).toEqual([]);
    expect(await sendsOf("backup.missed")).toEqual([]);

    now = T0 + HOUR + 11 * MIN;
    const report = await srv.rpoWatch.runNow();
    expect(report.missed.sort()).toEqual([ds.stopped, ds.paused, ds.failing].sort());
    await vi.waitFor(() => expect(hitsOf("backup.missed")).toHaveLength(3), { timeout: 20_000, interval: 50 });
    const about = (id: string) => hitsOf("backup.missed").find((h) => h.subject.datasourceId === id)!;
    expect(about(ds.stopped).text).toMatch(/agent agt_watch is offline/);
    expect(about(ds.paused).text).toMatch(/schedule is paused/);
    expect(about(ds.failing).text).toMatch(/was due at 2026-11-24T12:00:00.000Z/);
    // The dashboard's verdict is the same computation, without the watch's grace.
    const stats = await getStats(srv.ctx, { days: 7 });
    expect(stats.lastGoodBackup.find((d) => d.datasourceId === ds.stopped)).toMatchObject({ overdue: true, dueAt: "2026-11-24T12:00:00.000Z" });

    // Later passes while nothing changed send nothing more: each condition stays open since the alert.
    now = T0 + 2 * HOUR;
    expect((await srv.rpoWatch.runNow()).missed).toHaveLength(3);
    expect(await sendsOf("backup.missed")).toHaveLength(3);
    const { db, t } = srv.ctx.database;
    const [condition] = await db.select().from(t.notificationConditions).where(eq(t.notificationConditions.conditionKey, `missed:${ds.stopped}`));
    expect(condition).toMatchObject({ kind: "backup.missed", openedAt: T0 + HOUR + 11 * MIN });
  });

  it("sends a recovery once a good backup lands, and only for the datasources it landed for", async () => {
    now = T0 + 3 * HOUR;
    const landed = await backup(ds.stopped, T0 + 3 * HOUR - 10 * MIN);
    await backup(ds.failing, T0 + 3 * HOUR - 10 * MIN);
    now = T0 + 3 * HOUR + MIN;
    const report = await srv.rpoWatch.runNow();
    expect(report.recovered.sort()).toEqual([ds.stopped, ds.failing].sort());
    expect(report.missed).toEqual([ds.paused]);
    await vi.waitFor(() => expect(hitsOf("backup.onTime")).toHaveLength(2), { timeout: 20_000, interval: 50 });
    expect(hitsOf("backup.onTime").find((h) => h.subject.datasourceId === ds.stopped)?.subject.runId).toBe(landed);
    // The recovery closed the condition; the paused one's is still open and not re-sent.
    expect((await srv.rpoWatch.runNow()).recovered).toEqual([]);
    expect(await sendsOf("backup.onTime")).toHaveLength(2);
    expect(await sendsOf("backup.missed")).toHaveLength(3);
  });

  it("does not count a backup whose only copy a scrub marked damaged: stats, retention and manual deletion agree", async () => {
    const older = await backup(ds.unscheduled, T0 + HOUR);
    const damaged = await backup(ds.unscheduled, T0 + 2 * HOUR, { damaged: true });
    expect((await lastGoodBackups(srv.ctx, [ds.unscheduled])).get(ds.unscheduled)?.id).toBe(older);
    const stats = await getStats(srv.ctx, { days: 7 });
    expect(stats.lastGoodBackup.find((d) => d.datasourceId === ds.unscheduled)?.runId).toBe(older);

    const { t } = srv.ctx.database;
    const onDisk = (await deliveredBackups(srv.ctx, eq(t.runs.datasourceId, ds.unscheduled))).get(destinationId)!;
    expect(onDisk.find((b) => b.id === damaged)?.ok).toBe(false);
    expect(protectedReasons(onDisk).get(older)).toEqual(["newest successful"]);
    expect(protectedReasons(onDisk).has(damaged)).toBe(false);

    const refused = await api("DELETE", `/runs/${older}/artifact`);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe("NEWEST_GOOD_BACKUP");
    const { db } = srv.ctx.database;
    expect(await db.select().from(t.deliveries).where(and(eq(t.deliveries.runId, older)))).toMatchObject([{ deletedAt: null }]);
  });
});
