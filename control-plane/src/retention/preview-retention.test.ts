import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { newId } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import { previewRetention } from "./preview-retention.js";

const DAY = 86_400_000;

describe("previewRetention with a draft policy", () => {
  let srv: TestServer;
  const scheduleId = newId("sch");
  const runs: string[] = [];
  const seeded = { agentId: "", dsId: "", destId: "" };

  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
    const admin = await srv.token("admin");
    const agentId = (await srv.enroll()).agentId;
    const dsId = await seedDatasource(srv.ctx, agentId);
    const res = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: join(srv.dir, "backups") } } });
    const destId = ((await res.json()) as { id: string }).id;
    const now = Date.now();
    Object.assign(seeded, { agentId, dsId, destId });
    const { db, t } = srv.ctx.database;
    await db.insert(t.schedules).values({
      id: scheduleId, datasourceId: dsId, name: "nightly", cron: "0 3 * * *", timezone: "UTC",
      destinationIds: JSON.stringify([destId]), retention: JSON.stringify({ keepLast: 4 }), fireCursor: now, createdAt: now, updatedAt: now,
    });
    // Four daily scheduled backups, newest first in `runs`; their deliveries done, as retention needs.
    for (const daysAgo of [1, 2, 3, 4]) {
      runs.push(await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [destId], bytes: randomBytes(100), createdAt: now - daysAgo * DAY, trigger: "schedule", scheduleId, spooled: false }));
    }
    await db.update(t.deliveries).set({ state: "completed" });
  });
  afterAll(async () => srv?.stop());

  const fates = async (query = {}) => {
    const preview = await previewRetention(srv.ctx, scheduleId, query);
    return { preview, keep: preview.destinations[0]!.items.map((i) => i.keep) };
  };

  it("without a draft, plans with the stored policy", async () => {
    const { preview, keep } = await fates();
    expect(preview.policy).toEqual({ keepLast: 4 });
    expect(keep).toEqual([true, true, true, true]);
  });

  it("with a draft, plans the same backups with the draft's rules (those left out are off), storing nothing", async () => {
    const { preview, keep } = await fates({ keepLast: 2 });
    expect(preview.policy).toEqual({ keepLast: 2 });
    expect(keep).toEqual([true, true, false, false]);
    expect(preview.destinations[0]).toMatchObject({ kept: 2, deleted: 2 });
    expect(preview.destinations[0]!.items.map((i) => i.runId)).toEqual(runs);
    expect((await fates()).preview.policy).toEqual({ keepLast: 4 });
  });

  it("reads the calendar in the draft's zone, and refuses a zone that is none", async () => {
    expect((await fates({ keepDaily: 1, timezone: "America/Sao_Paulo" })).preview.timezone).toBe("America/Sao_Paulo");
    await expect(previewRetention(srv.ctx, scheduleId, { timezone: "Mars/Base" })).rejects.toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "timezone" }] } });
  });

  it("answers over HTTP with the draft from the query", async () => {
    const viewer = await srv.token("viewer");
    const res = await srv.api(`/api/v1/schedules/${scheduleId}/retention/preview?keepLast=1&keepDaily=0`, { token: viewer });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { destinations: { kept: number; deleted: number }[] }).destinations[0]).toMatchObject({ kept: 1, deleted: 3 });
    const bad = await srv.api(`/api/v1/schedules/${scheduleId}/retention/preview?keepLast=-1`, { token: viewer });
    expect(bad.status).toBe(400);
  });

  // Last: it adds a backup. A manual one started from the schedule ages by the draft's days, not by GFS.
  it("ages a manual backup of the schedule by manualRetentionDays, read again after it was added", async () => {
    await fates();
    const manual = await seedBackup(srv.ctx, { agentId: seeded.agentId, datasourceId: seeded.dsId, destinationIds: [seeded.destId], bytes: randomBytes(100), createdAt: Date.now() - 10 * DAY, trigger: "manual", scheduleId, spooled: false });
    const { db, t } = srv.ctx.database;
    await db.update(t.deliveries).set({ state: "completed" });
    const item = (await fates({ keepLast: 4, manualRetentionDays: 5 })).preview.destinations[0]!.items.find((i) => i.runId === manual);
    expect(item).toMatchObject({ trigger: "manual", keep: false, reasons: ["manual: older than 5 days"] });
  });
});
