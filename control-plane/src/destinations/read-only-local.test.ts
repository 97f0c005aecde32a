import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { newId } from "@holdfast/shared";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { spooledPath } from "../artifacts/spool.js";
import { artifactObjectName, objectsOf } from "../deliveries/object-name.js";
import { executeRetention } from "../retention/execute-retention.js";
import type { ArtifactMeta } from "../runs/get-run.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";

const DAY = 86_400_000;
const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;

/**
 * A read-only local folder end to end: the real control plane creates it (its probe writes and
 * deletes a read-only file), its delivery worker links or copies each backup there through the
 * folder's child processes, the spool cleanup unlinks the spool's name of a linked copy, and a
 * retention pass deletes what expired.
 */
describe.each(DIALECTS)("a read-only local destination on %s", (dialect) => {
  let srv: TestServer;
  let admin: string;
  let dsId: string;
  let destinationId: string;
  const root = () => join(srv.dir, "backups");
  const scheduleId = newId("sch");
  const runs: Record<string, string> = {};
  const spoolInodes: Record<string, number> = {};

  beforeAll(async () => {
    srv = await startTestServer(dialect);
    admin = await srv.token("admin");
    const agentId = (await srv.enroll()).agentId;
    dsId = await seedDatasource(srv.ctx, agentId);
    const created = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "vault", type: "local", config: { path: root(), readOnly: true } } });
    expect(created.status).toBe(201);
    destinationId = ((await created.json()) as { id: string }).id;
    const now = Date.now();
    const { db, t } = srv.ctx.database;
    await db.insert(t.schedules).values({
      id: scheduleId, datasourceId: dsId, name: "nightly", cron: "0 3 * * *", timezone: "UTC",
      destinationIds: JSON.stringify([destinationId]), retention: JSON.stringify({ keepLast: 1 }),
      fireCursor: now, createdAt: now, updatedAt: now,
    });
    const seed = async (key: string, daysAgo: number, extra: Record<string, unknown> = {}) => {
      runs[key] = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [destinationId], bytes: randomBytes(5_000), createdAt: now - daysAgo * DAY, trigger: "schedule", scheduleId, ...extra });
      spoolInodes[key] = (await stat(spooledPath(srv.ctx.env.spoolDir, runs[key]!))).ino;
    };
    await seed("expired", 3);
    await seed("split", 2, { partSize: 2_000 });
    await seed("kept", 1);
    srv.deliveries.kick();
    await vi.waitFor(
      async () => {
        const rows = await db.select().from(t.deliveries).where(inArray(t.deliveries.runId, Object.values(runs)));
        expect(rows.map((r) => r.state)).toEqual(["completed", "completed", "completed"]);
        // Every delivery ended: the spool's names are gone (the cleanup unlinked them).
        for (const id of Object.values(runs)) expect(existsSync(spooledPath(srv.ctx.env.spoolDir, id))).toBe(false);
      },
      { timeout: 30_000 },
    );
  });
  afterAll(async () => srv?.stop());

  const filesOf = async (key: string) => {
    const { db, t } = srv.ctx.database;
    const run = (await db.select().from(t.runs).where(eq(t.runs.id, runs[key]!)))[0]!;
    const name = artifactObjectName(run);
    return { artifact: join(root(), name), all: objectsOf(name, (JSON.parse(run.artifactMeta ?? "{}") as ArtifactMeta).parts).map((n) => join(root(), n)) };
  };

  it("stores the switch, and refuses one that is not a boolean, storing nothing", async () => {
    const shown = (await (await srv.api(`/api/v1/destinations/${destinationId}`, { token: admin })).json()) as { config: { readOnly?: boolean } };
    expect(shown.config.readOnly).toBe(true);
    const before = (await (await srv.api("/api/v1/destinations", { token: admin })).json()) as { items: unknown[] };
    const bad = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "nope", type: "local", config: { path: join(srv.dir, "other"), readOnly: "yes" } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; details: { issues: { path: string }[] } } }).error).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "config.readOnly" }] } });
    const after = (await (await srv.api("/api/v1/destinations", { token: admin })).json()) as { items: unknown[] };
    expect(after.items).toHaveLength(before.items.length);
  });

  it("leaves every delivered file 0444: artifact, parts and sidecars; the linked copy outlived its spool name", async () => {
    for (const key of ["expired", "split", "kept"]) {
      const { all } = await filesOf(key);
      expect(all.length, key).toBeGreaterThanOrEqual(2);
      for (const file of all) expect([file, await modeOf(file)]).toEqual([file, 0o444]);
    }
    // A whole artifact on the spool's file system is the spool copy's inode (hard link), now its only name.
    const kept = await stat((await filesOf("kept")).artifact);
    expect(kept.ino).toBe(spoolInodes.kept);
    expect(kept.nlink).toBe(1);
  });

  it("retention deletes the expired read-only copies and leaves the one it keeps 0444", async () => {
    const expired = [...(await filesOf("expired")).all, ...(await filesOf("split")).all];
    const kept = (await filesOf("kept")).all;
    const report = await executeRetention(srv.ctx);
    expect(report.skipped).toEqual([]);
    expect(new Set(report.deleted.map((d) => d.runId))).toEqual(new Set([runs.expired, runs.split]));
    for (const file of expired) expect([file, existsSync(file)]).toEqual([file, false]);
    for (const file of kept) expect([file, await modeOf(file)]).toEqual([file, 0o444]);
  });

  it("turned off, new files are written as usual; a read-only one written before still goes when retention deletes it", async () => {
    const patched = await srv.api(`/api/v1/destinations/${destinationId}`, { method: "PATCH", token: admin, json: { config: { readOnly: null } } });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { config: Record<string, unknown> }).config).not.toHaveProperty("readOnly");
    const { db, t } = srv.ctx.database;
    const agentId = (await db.select({ agentId: t.datasources.agentId }).from(t.datasources).where(eq(t.datasources.id, dsId)))[0]!.agentId;
    runs.later = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [destinationId], bytes: randomBytes(3_000), createdAt: Date.now() - 120_000, trigger: "schedule", scheduleId });
    srv.deliveries.kick();
    await vi.waitFor(async () => expect((await db.select().from(t.deliveries).where(eq(t.deliveries.runId, runs.later!)))[0]?.state).toBe("completed"), { timeout: 30_000 });
    for (const file of (await filesOf("later")).all) expect((await modeOf(file)) & 0o200).toBe(0o200);

    const before = (await filesOf("kept")).all;
    const report = await executeRetention(srv.ctx);
    expect(report.deleted.map((d) => d.runId)).toEqual([runs.kept]);
    for (const file of before) expect(existsSync(file)).toBe(false);
  });
});
