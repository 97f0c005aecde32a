import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { newId } from "@holdfast/shared";
import { eq, inArray } from "drizzle-orm";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { artifactObjectName, sidecarName } from "../deliveries/object-name.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { objectLockS3, type ObjectLockS3 } from "../testing/object-lock-s3.js";
import { startS3Server, type TestS3Server } from "../testing/s3-server.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import { CANNOT_DELETE_NOTE } from "./deletable.js";
import { executeRetention } from "./execute-retention.js";
import { previewRetention } from "./preview-retention.js";

/**
 * Retention on destinations that may not delete now: an S3 bucket under Object Lock (S3's documented
 * API through msw: no local server implements it) and an s3rver bucket reached with credentials
 * that may not delete (its write-only key pair), beside a local folder that deletes as usual.
 */
const DAY = 86_400_000;
const msw = setupServer();
let s3: TestS3Server;
beforeAll(async () => {
  msw.listen({ onUnhandledRequest: "bypass" });
  s3 = await startS3Server();
});
afterAll(async () => {
  msw.close();
  await s3?.stop();
});

describe.each(DIALECTS)("retention keeps what it may not delete, on %s", (dialect) => {
  let srv: TestServer;
  let admin: string;
  let fake: ObjectLockS3;
  const ids = { locked: "", writeOnly: "", local: "" };
  const runs: Record<string, string> = {};
  let scheduleId = "";
  const prefix = `kept-${dialect}`;

  beforeAll(async () => {
    fake = objectLockS3();
    msw.resetHandlers(...fake.handlers);
    srv = await startTestServer(dialect);
    admin = await srv.token("admin");
    const agentId = (await srv.enroll()).agentId;
    const dsId = await seedDatasource(srv.ctx, agentId);
    const create = async (json: Record<string, unknown>) => {
      const res = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json });
      expect(res.status, await res.clone().text()).toBe(201);
      return (await res.json()) as { id: string; config: Record<string, unknown>; deleteDeniedAt: string | null };
    };
    const locked = await create({
      name: "locked",
      type: "s3",
      config: { endpoint: fake.endpoint, forcePathStyle: true, bucket: fake.bucket, accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", objectLock: { mode: "COMPLIANCE", days: 1 } },
    });
    expect(locked).toMatchObject({ config: { objectLock: { mode: "COMPLIANCE", days: 1 } }, deleteDeniedAt: null });
    // Credentials that may not delete are accepted: the probe says so and the destination records it.
    const writeOnly = await create({ name: "write-only", type: "s3", config: s3.config({ prefix, ...s3.writeOnly }) });
    expect(writeOnly.deleteDeniedAt).not.toBeNull();
    const local = await create({ name: "disk", type: "local", config: { path: join(srv.dir, "backups") } });
    Object.assign(ids, { locked: locked.id, writeOnly: writeOnly.id, local: local.id });

    scheduleId = newId("sch");
    const now = Date.now();
    const { db, t } = srv.ctx.database;
    await db.insert(t.schedules).values({
      id: scheduleId, datasourceId: dsId, name: "nightly", cron: "0 3 * * *", timezone: "UTC",
      destinationIds: JSON.stringify(Object.values(ids)), retention: JSON.stringify({ keepLast: 1 }),
      fireCursor: now, createdAt: now, updatedAt: now,
    });
    for (const [key, daysAgo] of [["s1", 3], ["s2", 2], ["s3", 1]] as const) {
      runs[key] = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: Object.values(ids), bytes: randomBytes(2_000), createdAt: now - daysAgo * DAY, trigger: "schedule", scheduleId });
    }
    // On another datasource, a backup held by the locked bucket alone.
    runs.only = await seedBackup(srv.ctx, { agentId, datasourceId: await seedDatasource(srv.ctx, agentId, "other"), destinationIds: [ids.locked], bytes: randomBytes(500) });
    srv.deliveries.kick();
    await vi.waitFor(
      async () => {
        const rows = await db.select().from(t.deliveries).where(inArray(t.deliveries.runId, Object.values(runs)));
        expect(rows.filter((r) => r.state !== "completed")).toEqual([]);
      },
      { timeout: 30_000 },
    );
  });
  afterAll(async () => srv?.stop());

  const deliveries = async () => {
    const { db, t } = srv.ctx.database;
    const rows = await db.select().from(t.deliveries).where(inArray(t.deliveries.runId, [runs.s1!, runs.s2!, runs.s3!]));
    const key = (destinationId: string, runId: string) => `${Object.entries(ids).find(([, id]) => id === destinationId)![0]}/${Object.entries(runs).find(([, id]) => id === runId)![0]}`;
    return Object.fromEntries(rows.map((r) => [key(r.destinationId, r.runId), r]));
  };
  const objectsOf = async (key: string) => {
    const { db, t } = srv.ctx.database;
    const run = (await db.select().from(t.runs).where(eq(t.runs.id, runs[key]!)))[0]!;
    return [artifactObjectName(run), sidecarName(artifactObjectName(run))];
  };
  /** DELETE requests to the bucket under Object Lock, but those of the probes that created it. */
  const lockedDeletes = () => fake.requests.filter((r) => r.method === "DELETE" && !r.path.includes(".holdfast-probe-"));
  const deletesTo = (from: number) => s3.requests.slice(from).filter((r) => r.startsWith(`DELETE /${s3.bucket}/${prefix}/`));

  it("records the retain-until date each locked delivery was written with", async () => {
    const rows = await deliveries();
    for (const k of ["s1", "s2", "s3"]) {
      expect(rows[`locked/${k}`]!.lockedUntil).toBeGreaterThan(Date.now() + DAY - 60_000);
      expect(rows[`writeOnly/${k}`]!.lockedUntil).toBeNull();
      // The sidecar goes last, so its date is the delivery's; the artifact's is no later.
      const [artifact, sidecar] = await objectsOf(k);
      expect(fake.versions.get(sidecar!)).toMatchObject([{ mode: "COMPLIANCE", retainUntil: rows[`locked/${k}`]!.lockedUntil }]);
      expect(fake.versions.get(artifact!)![0]!.retainUntil).toBeLessThanOrEqual(rows[`locked/${k}`]!.lockedUntil!);
      expect(fake.versions.get(artifact!)![0]!.mode).toBe("COMPLIANCE");
    }
    const view = (await (await srv.api(`/api/v1/runs/${runs.s1}/deliveries`, { token: admin })).json()) as { items: { destinationId: string; lockedUntil: string | null }[] };
    expect(view.items.find((d) => d.destinationId === ids.locked)!.lockedUntil).toBe(new Date(rows["locked/s1"]!.lockedUntil!).toISOString());
  });

  it("the preview says what the pass will do: locked copies kept until their date, the write-only bucket's kept, the folder's deleted", async () => {
    const rows = await deliveries();
    type Preview = Awaited<ReturnType<typeof previewRetention>>;
    const fates = (preview: Preview) =>
      Object.fromEntries(
        preview.destinations.flatMap((d) => {
          const dest = Object.entries(ids).find(([, id]) => id === d.destinationId)![0];
          return d.items.map((i) => [`${dest}/${Object.entries(runs).find(([, id]) => id === i.runId)![0]}`, i.keep ? (i.keptBy?.note ?? "keep") : "delete"]);
        }),
      );
    const res = await srv.api(`/api/v1/schedules/${scheduleId}/retention/preview`, { token: await srv.token("viewer") });
    expect(res.status).toBe(200);
    const preview = (await res.json()) as Preview;
    const locked = (k: string) => `locked until ${new Date(rows[`locked/${k}`]!.lockedUntil!).toISOString()}`;
    expect(fates(preview)).toEqual({
      "locked/s1": locked("s1"), "locked/s2": locked("s2"), "locked/s3": "keep",
      "writeOnly/s1": CANNOT_DELETE_NOTE, "writeOnly/s2": CANNOT_DELETE_NOTE, "writeOnly/s3": "keep",
      "local/s1": "delete", "local/s2": "delete", "local/s3": "keep",
    });
    const item = preview.destinations.find((d) => d.destinationId === ids.locked)!.items.find((i) => i.runId === runs.s1)!;
    // The policy's own reasons stay: the lock, not a rule, keeps it.
    expect(item).toMatchObject({ keep: true, keptBy: { verdict: "locked", until: new Date(rows["locked/s1"]!.lockedUntil!).toISOString() }, reasons: ["last: all 1 used"] });
    expect(preview.destinations.find((d) => d.destinationId === ids.locked)).toMatchObject({ kept: 3, deleted: 0 });
    expect(preview.destinations.find((d) => d.destinationId === ids.local)).toMatchObject({ kept: 1, deleted: 2 });
    // Once the date has passed, the preview plans their deletion, as the pass then does.
    const later = { ...srv.ctx, clock: { ...srv.ctx.clock, now: () => new Date(Date.now() + 2 * DAY) } };
    expect(fates(await previewRetention(later, scheduleId))).toMatchObject({ "locked/s1": "delete", "locked/s2": "delete", "writeOnly/s1": CANNOT_DELETE_NOTE });
  });

  it("a pass, and the next: locked copies and undeletable ones are kept and noted, with no failure and one refused delete a pass", { timeout: 60_000 }, async () => {
    for (let pass = 0; pass < 2; pass++) {
      const s3Before = s3.requests.length;
      const report = await executeRetention(srv.ctx);
      expect(report.skipped).toEqual([]);
      // The local folder deletes as usual, the first time.
      expect(report.deleted.map((d) => `${d.destinationId}/${d.runId}`).sort()).toEqual(pass === 0 ? [`${ids.local}/${runs.s1}`, `${ids.local}/${runs.s2}`].sort() : []);
      const rows = await deliveries();
      const lockedNotes = [rows["locked/s1"]!, rows["locked/s2"]!].map((r) => `locked until ${new Date(r.lockedUntil!).toISOString()}`);
      expect(report.kept.map((k) => `${k.destinationId}/${k.runId}: ${k.note}`).sort()).toEqual(
        [`${ids.locked}/${runs.s1}: ${lockedNotes[0]}`, `${ids.locked}/${runs.s2}: ${lockedNotes[1]}`, `${ids.writeOnly}/${runs.s1}: ${CANNOT_DELETE_NOTE}`, `${ids.writeOnly}/${runs.s2}: ${CANNOT_DELETE_NOTE}`].sort(),
      );
      expect([rows["locked/s1"]!.retentionNote, rows["locked/s2"]!.retentionNote]).toEqual(lockedNotes);
      expect([rows["writeOnly/s1"]!.retentionNote, rows["writeOnly/s2"]!.retentionNote]).toEqual([CANNOT_DELETE_NOTE, CANNOT_DELETE_NOTE]);
      for (const k of ["locked/s1", "locked/s2", "writeOnly/s1", "writeOnly/s2", "locked/s3"]) expect(rows[k]!.deletedAt).toBeNull();
      // Nothing was even tried on the locked bucket; the write-only one was asked once (the first sidecar) and refused.
      expect(lockedDeletes()).toEqual([]);
      expect(deletesTo(s3Before)).toHaveLength(1);
      for (const k of ["s1", "s2"]) for (const name of await objectsOf(k)) expect(fake.versions.get(name)).toHaveLength(1);
    }
    // Not a failure: no alert was raised, and the destination says why it keeps them.
    const { db, t } = srv.ctx.database;
    expect(await db.select().from(t.notificationConditions)).toEqual([]);
    const list = (await (await srv.api("/api/v1/destinations", { token: admin })).json()) as { items: { id: string; deleteDeniedAt: string | null }[] };
    expect(list.items.find((d) => d.id === ids.writeOnly)!.deleteDeniedAt).not.toBeNull();
    expect(list.items.find((d) => d.id === ids.locked)!.deleteDeniedAt).toBeNull();
    const view = (await (await srv.api(`/api/v1/runs/${runs.s2}/deliveries`, { token: admin })).json()) as { items: { destinationId: string; retentionNote: string | null }[] };
    expect(view.items.find((d) => d.destinationId === ids.writeOnly)!.retentionNote).toBe(CANNOT_DELETE_NOTE);
  });

  it("deleting by hand a backup whose only copy is locked: 409 DESTINATION_OBJECT_LOCKED with the date, nothing touched", async () => {
    const res = await srv.api(`/api/v1/runs/${runs.only}/artifact?force=true`, { method: "DELETE", token: admin });
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; details: { lockedUntil: string } } };
    expect(body.error.code).toBe("DESTINATION_OBJECT_LOCKED");
    expect(Date.parse(body.error.details.lockedUntil)).toBeGreaterThan(Date.now());
    expect(lockedDeletes()).toEqual([]);
  });

  it("after the retain-until date the locked copies go, every version; new credentials that may delete clear the mark", { timeout: 60_000 }, async () => {
    const later = Date.now() + 2 * DAY;
    fake.setNow(later);
    const report = await executeRetention(srv.ctx, new Date(later));
    expect(report.skipped).toEqual([]);
    expect(report.deleted.map((d) => `${d.destinationId}/${d.runId}`).sort()).toEqual([`${ids.locked}/${runs.s1}`, `${ids.locked}/${runs.s2}`].sort());
    for (const k of ["s1", "s2"]) for (const name of await objectsOf(k)) expect(fake.versions.has(name)).toBe(false);
    for (const name of await objectsOf("s3")) expect(fake.versions.get(name)).toHaveLength(1);
    expect(lockedDeletes().length).toBeGreaterThanOrEqual(4);
    expect(lockedDeletes().every((r) => r.query.has("versionId"))).toBe(true);
    expect(report.kept.map((k) => k.destinationId)).toEqual([ids.writeOnly, ids.writeOnly]);

    const patched = await srv.api(`/api/v1/destinations/${ids.writeOnly}`, { method: "PATCH", token: admin, json: { config: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } } });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { deleteDeniedAt: string | null }).deleteDeniedAt).toBeNull();
    const after = await executeRetention(srv.ctx, new Date(later));
    expect(after).toMatchObject({ skipped: [], kept: [] });
    expect(after.deleted.map((d) => `${d.destinationId}/${d.runId}`).sort()).toEqual([`${ids.writeOnly}/${runs.s1}`, `${ids.writeOnly}/${runs.s2}`].sort());
    const rows = await deliveries();
    for (const k of ["locked/s1", "locked/s2", "writeOnly/s1", "writeOnly/s2"]) expect(rows[k]!.deletedAt).not.toBeNull();
  });
});
