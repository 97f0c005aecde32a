import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { Readable } from "node:stream";
import { newId, S3DestinationConfig, SftpDestinationConfig } from "@holdfast/shared";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { artifactObjectName, objectsOf } from "../deliveries/object-name.js";
import { localDestination } from "../destinations/local.js";
import { s3Destination } from "../destinations/s3.js";
import { sftpDestination } from "../destinations/sftp.js";
import type { Destination } from "../destinations/types.js";
import type { ArtifactMeta } from "../runs/get-run.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { startS3Server, type TestS3Server } from "../testing/s3-server.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import { startSftpServer, type TestSftpServer } from "../testing/sftp-server.js";
import { executeRetention } from "./execute-retention.js";
import type { RetentionPreview } from "./preview-retention.js";

const DAY = 86_400_000;
const KINDS = ["local", "s3", "sftp"] as const;

let s3: TestS3Server;
let sftp: TestSftpServer;
beforeAll(async () => {
  [s3, sftp] = await Promise.all([startS3Server(), startSftpServer()]);
});
afterAll(async () => Promise.all([s3?.stop(), sftp?.stop()]));

describe.each(DIALECTS)("retention executor on %s", (dialect) => {
  let srv: TestServer;
  let admin: string;
  let agentId: string;
  let dsId: string;
  const ids: Record<(typeof KINDS)[number], string> = { local: "", s3: "", sftp: "" };
  const open: Record<(typeof KINDS)[number], () => Destination> = {
    local: () => localDestination({ path: join(srv.dir, "backups") }),
    s3: () => s3Destination(S3DestinationConfig.parse(s3.config({ prefix: `ret-${dialect}` }))),
    sftp: () => sftpDestination(SftpDestinationConfig.parse(sftp.config({ path: join(sftp.root, `ret-${dialect}`) }))),
  };
  const scheduleId = newId("sch");
  const runs: Record<string, string> = {};

  beforeAll(async () => {
    srv = await startTestServer(dialect);
    admin = await srv.token("admin");
    agentId = (await srv.enroll()).agentId;
    dsId = await seedDatasource(srv.ctx, agentId);
    const create = async (json: unknown) => ((await (await srv.api("/api/v1/destinations", { method: "POST", token: admin, json })).json()) as { id: string }).id;
    ids.local = await create({ name: "disk", type: "local", config: { path: join(srv.dir, "backups") } });
    ids.s3 = await create({ name: "bucket", type: "s3", config: s3.config({ prefix: `ret-${dialect}` }) });
    ids.sftp = await create({ name: "ssh", type: "sftp", config: sftp.config({ path: join(sftp.root, `ret-${dialect}`) }) });
    const now = Date.now();
    const { db, t } = srv.ctx.database;
    await db.insert(t.schedules).values({
      id: scheduleId, datasourceId: dsId, name: "nightly", cron: "0 3 * * *", timezone: "Europe/Berlin",
      destinationIds: JSON.stringify(Object.values(ids)), retention: JSON.stringify({ keepLast: 3, manualRetentionDays: 2 }),
      fireCursor: now, createdAt: now, updatedAt: now,
    });
    // Scheduled s1 (oldest, the only verified one) .. s6, a newer failed one, and two manual backups.
    const at = (daysAgo: number) => now - daysAgo * DAY;
    const seed = async (key: string, daysAgo: number, extra: Record<string, unknown> = {}) => {
      runs[key] = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: Object.values(ids), bytes: randomBytes(3_000), createdAt: at(daysAgo), ...extra });
    };
    const scheduled = { trigger: "schedule", scheduleId } as const;
    await seed("s1", 6, { ...scheduled, verified: true });
    await seed("s2", 5, { ...scheduled, partSize: 1_000 });
    await seed("s3", 4, scheduled);
    await seed("s4", 3, scheduled);
    await seed("s5", 2, scheduled);
    await seed("s6", 1, scheduled);
    await seed("failed", 0.5, { ...scheduled, state: "failed" });
    await seed("m1", 10);
    await seed("m2", 1.5);
    srv.deliveries.kick();
    await vi.waitFor(
      async () => {
        const rows = await db.select().from(t.deliveries).where(inArray(t.deliveries.runId, Object.values(runs)));
        expect(rows.filter((r) => r.state === "pending" || r.state === "running")).toEqual([]);
      },
      { timeout: 30_000 },
    );
  });
  afterAll(async () => srv?.stop());

  const nameOf = async (key: string) => {
    const { db, t } = srv.ctx.database;
    const run = (await db.select().from(t.runs).where(eq(t.runs.id, runs[key]!)))[0]!;
    const meta = JSON.parse(run.artifactMeta ?? "{}") as ArtifactMeta;
    return { name: artifactObjectName(run), objects: objectsOf(artifactObjectName(run), meta.parts) };
  };
  const listing = async (d: Destination) => (await d.list(`${dsId}/`)).map((e) => e.name);

  it("previews the plan per destination with reasons, without touching anything", async () => {
    const res = await srv.api(`/api/v1/schedules/${scheduleId}/retention/preview`, { token: admin });
    expect(res.status).toBe(200);
    const preview = (await res.json()) as RetentionPreview;
    expect(preview).toMatchObject({ scheduleId, timezone: "Europe/Berlin", policy: { keepLast: 3, manualRetentionDays: 2 }, manualRetentionDays: 2 });
    expect(preview.destinations.map((d) => d.destinationId).sort()).toEqual(Object.values(ids).sort());
    for (const d of preview.destinations) {
      const byRun = Object.fromEntries(d.items.map((i) => [i.runId, i]));
      expect(d.items.map((i) => i.runId)).toEqual(["failed", "s6", "s5", "s4", "s3", "s2", "s1"].map((k) => runs[k]));
      expect(byRun[runs.failed!]).toMatchObject({ keep: true, ok: false, reasons: ["failed: not a retention candidate"] });
      expect(byRun[runs.s6!]).toMatchObject({ keep: true, reasons: ["last 1/3", "newest successful"] });
      expect(byRun[runs.s3!]).toMatchObject({ keep: false, reasons: ["last: all 3 used"] });
      expect(byRun[runs.s1!]).toMatchObject({ keep: true, reasons: ["newest verified"] });
      expect(d).toMatchObject({ kept: 5, deleted: 2 });
    }
    const missing = await srv.api("/api/v1/schedules/sch_nope/retention/preview", { token: admin });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("SCHEDULE_NOT_FOUND");
  });

  it("deletes exactly the planned objects on local, S3 and SFTP, records why, and leaves what it did not write", { timeout: 60_000 }, async () => {
    const s1 = await nameOf("s1");
    const folder = s1.name.slice(0, s1.name.lastIndexOf("/"));
    const foreign = [`${folder}/notes.txt`, `${folder}/20200101T000000Z_run_someone_else.sql.gz`, `${s1.name}.foreign`];
    for (const kind of KINDS) for (const name of foreign) await open[kind]().put(Readable.from([Buffer.from("not Holdfast's")]), name);
    const before = Object.fromEntries(await Promise.all(KINDS.map(async (k) => [k, await listing(open[k]())] as const)));

    const report = await executeRetention(srv.ctx);

    const planned = [...(await nameOf("s2")).objects, ...(await nameOf("s3")).objects, ...(await nameOf("m1")).objects];
    expect((await nameOf("s2")).objects).toHaveLength(4); // three parts and the sidecar
    for (const kind of KINDS) {
      const after = await listing(open[kind]());
      expect(before[kind]!.filter((n) => !after.includes(n)).sort()).toEqual([...planned].sort());
      expect(after).toEqual(expect.arrayContaining(foreign));
    }
    expect(report.skipped).toEqual([]);
    expect(report.deleted.map((d) => d.runId).sort()).toEqual([runs.s2, runs.s2, runs.s2, runs.s3, runs.s3, runs.s3, runs.m1, runs.m1, runs.m1].sort());

    const { db, t } = srv.ctx.database;
    const rows = await db.select().from(t.deliveries).where(inArray(t.deliveries.runId, Object.values(runs)));
    for (const row of rows) {
      const deleted = [runs.s2, runs.s3, runs.m1].includes(row.runId);
      expect(row.deletedAt !== null).toBe(deleted);
      if (deleted) expect(row.deletionReason).toMatch(/^retention: (last: all 3 used|manual: older than 2 days)$/);
    }
    // The run view shows the deletion through the deliveries route.
    const view = (await (await srv.api(`/api/v1/runs/${runs.s3}/deliveries`, { token: admin })).json()) as { items: { deletedAt: string | null; deletionReason: string }[] };
    expect(view.items.every((d) => d.deletedAt !== null && d.deletionReason === "retention: last: all 3 used")).toBe(true);

    // A second pass finds nothing more to do.
    expect(await executeRetention(srv.ctx)).toEqual({ deleted: [], skipped: [], kept: [] });
  });

  it("skips a backup whose recorded location is not the name it would delete", async () => {
    // Move the policy so that s4 is due, after pointing its local record elsewhere.
    const { db, t } = srv.ctx.database;
    await db.update(t.schedules).set({ retention: JSON.stringify({ keepLast: 2 }) }).where(eq(t.schedules.id, scheduleId));
    await db
      .update(t.deliveries)
      .set({ path: "/somewhere/else.sql.gz" })
      .where(eq(t.deliveries.runId, runs.s4!));
    const s4 = await nameOf("s4");
    const before = await listing(open.local());
    const report = await executeRetention(srv.ctx);
    expect(report.deleted).toEqual([]);
    expect(report.skipped.map((s) => s.runId)).toEqual([runs.s4, runs.s4, runs.s4]);
    expect(await listing(open.local())).toEqual(before);
    expect(before).toEqual(expect.arrayContaining(s4.objects));
  });
});
