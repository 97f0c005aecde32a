import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { artifactObjectName } from "../deliveries/object-name.js";
import { getRunRow } from "../runs/get-run.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import { exists, spooledPath } from "./spool.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
type ErrorAnswer = { error: { code: string; message: string; details?: Record<string, unknown> } };

/** Paths this process has open (its file descriptors' targets). */
async function openPaths(): Promise<string[]> {
  const fds = await readdir("/proc/self/fd");
  return (await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")))).filter(Boolean);
}

/** Command lines of the processes whose arguments mention `marker` (a test's own folder). */
async function processesMentioning(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmd.includes(marker)) found.push(cmd.replace(/\0/g, " "));
  }
  return found;
}

describe.each(DIALECTS)("a backup as an object (GET and DELETE /runs/:runId/artifact) on %s", (dialect) => {
  let srv: TestServer;
  let operator: string;
  let agentId: string;
  let dsId: string;
  let folder: string;
  let localId: string;

  beforeAll(async () => {
    // Deliveries run when a test kicks them, never on a timer in between.
    srv = await startTestServer(dialect, { deliveries: { pollMs: 3_600_000 } });
    operator = await srv.token("operator");
    agentId = (await srv.enroll()).agentId;
    dsId = await seedDatasource(srv.ctx, agentId);
    folder = join(srv.dir, "backups");
    const res = await srv.api("/api/v1/destinations", { method: "POST", token: operator, json: { name: "disk", type: "local", config: { path: folder } } });
    localId = ((await res.json()) as { id: string }).id;
  });
  afterAll(async () => srv?.stop());

  const get = (runId: string, headers: Record<string, string> = {}, method = "GET") => srv.api(`/api/v1/runs/${runId}/artifact`, { token: operator, headers, method });
  const del = (runId: string, query = "") => srv.api(`/api/v1/runs/${runId}/artifact${query}`, { token: operator, method: "DELETE" });
  const body = async (res: Response) => Buffer.from(await res.arrayBuffer());
  const error = async (res: Response) => ((await res.json()) as ErrorAnswer).error;

  /** A manual backup delivered to the folder, its spool copy gone. */
  async function delivered(bytes: Buffer, opts: { partSize?: number; finishedAt?: number } = {}) {
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [localId], bytes, ...opts });
    srv.deliveries.kick();
    await vi.waitFor(async () => expect(await exists(spooledPath(srv.ctx.env.spoolDir, runId))).toBe(false), { timeout: 60_000 });
    const run = await getRunRow(srv.ctx, runId);
    return { runId, name: artifactObjectName(run) };
  }

  it("serves the spool copy whole, with its size, a safe file name and its SHA-256 in three headers", async () => {
    const bytes = randomBytes(300_000);
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [localId], bytes });
    const res = await get(runId);
    expect(res.status).toBe(200);
    const run = await getRunRow(srv.ctx, runId);
    const file = artifactObjectName(run).split("/").at(-1)!;
    expect(Object.fromEntries(res.headers)).toMatchObject({
      "content-type": "application/octet-stream",
      "content-length": "300000",
      "content-disposition": `attachment; filename="${file}"`,
      "accept-ranges": "bytes",
      "x-holdfast-sha256": sha(bytes),
      "repr-digest": `sha-256=:${createHash("sha256").update(bytes).digest("base64")}:`,
      etag: `"${sha(bytes)}"`,
    });
    expect(file).toMatch(/^\d{8}T\d{6}Z_run_[0-9a-f]+\.sql\.gz$/);
    expect(sha(await body(res))).toBe(sha(bytes));

    const head = await get(runId, {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("300000");
    expect(head.headers.get("x-holdfast-sha256")).toBe(sha(bytes));
    expect((await body(head)).length).toBe(0);

    // The download is in the audit log with who took it; the HEAD is not.
    const { db, t } = srv.ctx.database;
    const records = (await db.select().from(t.auditLog)).filter((r) => r.action === "artifact.download" && JSON.parse(r.target).runId === runId);
    expect(records.map((r) => ({ status: r.status, actor: r.actorEmail }))).toEqual([{ status: 200, actor: expect.stringContaining("@") }]);
  });

  it("serves one range as 206 (a-b, a-, -n), refuses one past the end with 416 and the size, and ignores a range whose If-Range is stale", async () => {
    const bytes = randomBytes(100_000);
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [localId], bytes });
    for (const [range, start, end] of [
      ["bytes=10-19", 10, 19],
      ["bytes=99990-", 99_990, 99_999],
      ["bytes=-5", 99_995, 99_999],
      ["bytes=99000-200000", 99_000, 99_999],
    ] as const) {
      const res = await get(runId, { range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes ${start}-${end}/100000`);
      expect(res.headers.get("content-length")).toBe(String(end - start + 1));
      expect((await body(res)).equals(bytes.subarray(start, end + 1)), range).toBe(true);
    }
    const past = await get(runId, { range: "bytes=100000-" });
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe("bytes */100000");
    expect(await error(past)).toMatchObject({ code: "RANGE_NOT_SATISFIABLE", message: "Range starts at 100000; the artifact has 100000 bytes" });
    const several = await get(runId, { range: "bytes=0-1,5-6" });
    expect(several.status).toBe(400);
    expect((await error(several)).message).toContain("one range at a time");
    const stale = await get(runId, { range: "bytes=0-9", "if-range": '"not-this-one"' });
    expect(stale.status).toBe(200);
    expect((await body(stale)).length).toBe(100_000);
    const current = await get(runId, { range: "bytes=0-9", "if-range": `"${sha(bytes)}"` });
    expect(current.status).toBe(206);
    await current.arrayBuffer();
  });

  it("joins a split artifact's parts from the destination once the spool copy is gone, whole and across part boundaries", { timeout: 120_000 }, async () => {
    const bytes = randomBytes(250_000);
    const { runId, name } = await delivered(bytes, { partSize: 100_000 });
    expect((await readdir(join(folder, name, ".."))).filter((f) => f.startsWith(name.split("/").at(-1)!))).toHaveLength(4);
    const whole = await get(runId);
    expect(whole.status).toBe(200);
    expect(sha(await body(whole))).toBe(sha(bytes));
    const across = await get(runId, { range: "bytes=99990-200009" });
    expect(across.status).toBe(206);
    expect((await body(across)).equals(bytes.subarray(99_990, 200_010))).toBe(true);
  });

  it("cuts a whole download whose copy no longer matches the SHA-256 (fewer bytes than announced), while a range is still served", { timeout: 120_000 }, async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const { runId, name } = await delivered(bytes);
    const rotten = Buffer.from(bytes);
    rotten[rotten.length - 10]! ^= 0xff;
    await writeFile(join(folder, name), rotten);
    const res = await get(runId);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(bytes.length));
    await expect(res.arrayBuffer()).rejects.toThrow();
    const range = await get(runId, { range: "bytes=0-1023" });
    expect((await body(range)).equals(bytes.subarray(0, 1024))).toBe(true);
  });

  it("cuts the connection before anything else is written when a copy turns out wrong at its last few bytes", { timeout: 120_000 }, async () => {
    // The last chunk read is 5 bytes: shorter than any error text a server might append after it.
    const bytes = randomBytes(3 * 1024 * 1024 + 5);
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [localId], bytes });
    const rotten = Buffer.from(bytes);
    rotten[0]! ^= 0xff;
    await writeFile(spooledPath(srv.ctx.env.spoolDir, runId), rotten);
    for (let i = 0; i < 5; i++) {
      const res = await get(runId);
      expect(res.headers.get("content-length")).toBe(String(bytes.length));
      await expect(res.arrayBuffer()).rejects.toThrow();
    }
  });

  it("stops reading when the client goes away: the spool file is closed, and the destination's reading process ends", { timeout: 120_000 }, async () => {
    const bytes = randomBytes(48 * 1024 * 1024);
    const spooled = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [localId], bytes });
    const spoolFile = spooledPath(srv.ctx.env.spoolDir, spooled);
    const abort = new AbortController();
    const res = await srv.api(`/api/v1/runs/${spooled}/artifact`, { token: operator, signal: abort.signal });
    await res.body!.getReader().read();
    expect(await openPaths()).toContain(spoolFile);
    abort.abort();
    await vi.waitFor(async () => expect(await openPaths()).not.toContain(spoolFile), { timeout: 60_000 });

    srv.deliveries.kick();
    await vi.waitFor(async () => expect(await exists(spoolFile)).toBe(false), { timeout: 60_000 });
    const fromFolder = new AbortController();
    const res2 = await srv.api(`/api/v1/runs/${spooled}/artifact`, { token: operator, signal: fromFolder.signal });
    await res2.body!.getReader().read();
    expect((await processesMentioning(folder)).some((cmd) => cmd.includes('"kind":"get"'))).toBe(true);
    fromFolder.abort();
    await vi.waitFor(async () => expect((await processesMentioning(folder)).filter((cmd) => cmd.includes('"kind":"get"'))).toEqual([]), { timeout: 60_000 });
  });

  it("answers ARTIFACT_NOT_FOUND saying why for a restore run, a failed backup and a backup whose copies were all deleted", async () => {
    const failed = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [localId], bytes: Buffer.alloc(0), state: "failed" });
    const res = await get(failed);
    expect(res.status).toBe(404);
    expect(await error(res)).toMatchObject({ code: "ARTIFACT_NOT_FOUND", message: `Backup run ${failed} ended failed: it made no artifact (its error says why)` });

    const { db, t } = srv.ctx.database;
    const source = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [localId], bytes: randomBytes(10) });
    const restoreId = `run_restore${dialect}`;
    await db.insert(t.runs).values({ id: restoreId, kind: "restore", trigger: "manual", agentId, datasourceId: dsId, sourceRunId: source, state: "completed", idempotencyKey: "k", createdAt: Date.now() });
    const restore = await get(restoreId);
    expect(restore.status).toBe(404);
    expect((await error(restore)).message).toBe(`Run ${restoreId} is a restore run: it wrote into a datasource and has no artifact; its backup is run ${source}`);
    expect((await get("run_nope")).status).toBe(404);
  });

  it("deletes a backup by hand from the folder and the records, refuses the newest good one without ?force=true, and says when nothing is left", { timeout: 120_000 }, async () => {
    const otherDs = await seedDatasource(srv.ctx, agentId, "other");
    const seed = async (finishedAt: number) => {
      const runId = await seedBackup(srv.ctx, { agentId, datasourceId: otherDs, destinationIds: [localId], bytes: randomBytes(1000), createdAt: finishedAt - 60_000, finishedAt });
      return runId;
    };
    const older = await seed(Date.now() - 3_600_000);
    const newer = await seed(Date.now() - 60_000);
    srv.deliveries.kick();
    for (const id of [older, newer]) await vi.waitFor(async () => expect(await exists(spooledPath(srv.ctx.env.spoolDir, id))).toBe(false), { timeout: 60_000 });
    const nameOf = async (id: string) => artifactObjectName(await getRunRow(srv.ctx, id));

    const refused = await del(newer);
    expect(refused.status).toBe(409);
    expect(await error(refused)).toMatchObject({ code: "NEWEST_GOOD_BACKUP", details: { runId: newer, datasourceId: otherDs, reasons: ["newest successful"] } });
    expect((await error(await del(newer))).message).toContain("?force=true");
    expect(await exists(join(folder, await nameOf(newer)))).toBe(true);

    const ok = await del(older);
    expect(ok.status).toBe(200);
    const olderName = await nameOf(older);
    expect(await ok.json()).toEqual({ runId: older, deleted: [{ destinationId: localId, objects: [`${olderName}.json`, olderName] }], spoolCopyRemoved: false, leftAlone: [] });
    expect(await exists(join(folder, olderName))).toBe(false);
    expect(await exists(join(folder, `${olderName}.json`))).toBe(false);
    const deliveries = ((await (await srv.api(`/api/v1/runs/${older}/deliveries`, { token: operator })).json()) as { items: { deletedAt: string | null; deletionReason: string | null }[] }).items;
    expect(deliveries).toEqual([expect.objectContaining({ deletedAt: expect.any(String), deletionReason: "manual: deleted by operator@test.local" })]);

    const again = await del(older);
    expect(again.status).toBe(404);
    expect(await error(again)).toMatchObject({ code: "ARTIFACT_NOT_FOUND", message: expect.stringContaining('deleted from "disk"') });
    expect((await error(await get(older))).message).toContain("manual: deleted by operator@test.local");

    const forced = await del(newer, "?force=true");
    expect(forced.status).toBe(200);
    expect(await exists(join(folder, await nameOf(newer)))).toBe(false);
  });

  it("deletes the sidecar first: a destination that fails midway leaves the record live and the answer says so, and deleting again finishes", { timeout: 120_000 }, async () => {
    const { runId, name } = await delivered(randomBytes(2000));
    await delivered(randomBytes(10)); // newer: this one is not the newest good backup
    // A folder where the artifact was: unlink fails on it, after the sidecar went.
    await rm(join(folder, name));
    await mkdir(join(folder, name, "stuck"), { recursive: true });
    const res = await del(runId);
    expect(res.status).toBeGreaterThanOrEqual(400);
    const err = await error(res);
    expect(err.message).toContain("DELETE again");
    expect(err.details).toMatchObject({ runId, deleted: [], failed: [{ destinationId: localId }] });
    expect(await exists(join(folder, `${name}.json`))).toBe(false);
    const { db, t } = srv.ctx.database;
    expect((await db.select().from(t.deliveries).where(eq(t.deliveries.runId, runId)))[0]!.deletedAt).toBeNull();

    await rm(join(folder, name), { recursive: true });
    expect((await del(runId)).status).toBe(200);
    expect((await db.select().from(t.deliveries).where(eq(t.deliveries.runId, runId)))[0]!.deletedAt).not.toBeNull();
  });

  it("refuses while a delivery is still writing it or a restore reads it (ARTIFACT_IN_USE), and leaves a deleted destination's copy alone", { timeout: 120_000 }, async () => {
    const { db, t } = srv.ctx.database;
    const writing = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [localId], bytes: randomBytes(100) });
    await db.update(t.deliveries).set({ state: "running", updatedAt: Date.now() }).where(eq(t.deliveries.runId, writing));
    const busy = await del(writing, "?force=true");
    expect(busy.status).toBe(409);
    expect(await error(busy)).toMatchObject({ code: "ARTIFACT_IN_USE", details: { destinationIds: [localId] } });

    const { runId } = await delivered(randomBytes(100));
    await db.insert(t.runs).values({ id: `run_reading${dialect}`, kind: "restore", trigger: "manual", agentId, datasourceId: dsId, sourceRunId: runId, state: "running", idempotencyKey: "r", createdAt: Date.now() });
    const read = await del(runId, "?force=true");
    expect(await error(read)).toMatchObject({ code: "ARTIFACT_IN_USE", details: { restoreRunIds: [`run_reading${dialect}`] } });
    await db.update(t.runs).set({ state: "completed" }).where(eq(t.runs.id, `run_reading${dialect}`));

    // The same backup on a second folder that is then deleted: Holdfast can no longer open it.
    const second = join(srv.dir, "second");
    const created = await srv.api("/api/v1/destinations", { method: "POST", token: operator, json: { name: "second", type: "local", config: { path: second } } });
    const secondId = ((await created.json()) as { id: string }).id;
    const both = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [localId, secondId], bytes: randomBytes(100) });
    srv.deliveries.kick();
    await vi.waitFor(async () => expect(await exists(spooledPath(srv.ctx.env.spoolDir, both))).toBe(false), { timeout: 60_000 });
    expect((await srv.api(`/api/v1/destinations/${secondId}`, { method: "DELETE", token: operator })).status).toBe(204);
    const res = await del(both, "?force=true");
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { deleted: { destinationId: string }[]; leftAlone: { destinationId: string; reason: string }[] };
    expect(answer.deleted.map((d) => d.destinationId)).toEqual([localId]);
    expect(answer.leftAlone).toEqual([{ destinationId: secondId, path: expect.stringContaining(second), reason: "the destination was deleted: Holdfast can no longer open it" }]);
    expect(await exists(join(second, artifactObjectName(await getRunRow(srv.ctx, both))))).toBe(true);
  });
});
