import { buffer } from "node:stream/consumers";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { S3DestinationConfig, SftpDestinationConfig } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { exists, spooledPath } from "../artifacts/spool.js";
import { s3Destination } from "../destinations/s3.js";
import { sftpDestination } from "../destinations/sftp.js";
import { localDestination } from "../destinations/local.js";
import type { Destination } from "../destinations/types.js";
import { startServer } from "../server.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { startS3Server, type TestS3Server } from "../testing/s3-server.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import { startSftpServer, type TestSftpServer } from "../testing/sftp-server.js";
import { startTcpGate, type TcpGate } from "../testing/tcp-gate.js";
import type { DeliveryView } from "./list-deliveries.js";
import { artifactObjectName } from "./object-name.js";
import { ArtifactSidecar } from "@holdfast/shared";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const NAME = /^ds_[0-9a-f]+\/\d{4}\/\d{2}\/\d{8}T\d{6}Z_run_[0-9a-f]+\.sql\.gz$/;

let s3: TestS3Server;
let sftp: TestSftpServer;
let s3Gate: TcpGate;
let sftpGate: TcpGate;
beforeAll(async () => {
  [s3, sftp] = await Promise.all([startS3Server(), startSftpServer()]);
  s3Gate = await startTcpGate(Number(new URL(s3.endpoint).port));
  sftpGate = await startTcpGate(sftp.port);
});
afterAll(async () => {
  await Promise.all([s3Gate?.close(), sftpGate?.close()]);
  await Promise.all([s3?.stop(), sftp?.stop()]);
});

describe.each(DIALECTS)("delivery from the spool on %s", (dialect) => {
  let srv: TestServer;
  let admin: string;
  let agentId: string;
  let dsId: string;
  const dest = { local: "", s3: "", sftp: "" };
  const open: Record<keyof typeof dest, () => Destination> = {
    local: () => localDestination({ path: join(srv.dir, "backups") }),
    s3: () => s3Destination(S3DestinationConfig.parse(s3.config({ prefix: `hf-${dialect}` }))),
    sftp: () => sftpDestination(SftpDestinationConfig.parse(sftp.config({ path: join(sftp.root, dialect) }))),
  };

  beforeAll(async () => {
    srv = await startTestServer(dialect, { vars: { HOLDFAST_DELIVERY_BACKOFF_MS: "150", HOLDFAST_DELIVERY_ATTEMPTS: "30" } });
    admin = await srv.token("admin");
    agentId = (await srv.enroll()).agentId;
    dsId = await seedDatasource(srv.ctx, agentId);
    const create = async (json: unknown) => ((await (await srv.api("/api/v1/destinations", { method: "POST", token: admin, json })).json()) as { id: string }).id;
    dest.local = await create({ name: "disk", type: "local", config: { path: join(srv.dir, "backups") } });
    dest.s3 = await create({ name: "bucket", type: "s3", config: s3.config({ endpoint: `http://127.0.0.1:${s3Gate.port}`, prefix: `hf-${dialect}` }) });
    dest.sftp = await create({ name: "ssh", type: "sftp", config: sftp.config({ port: sftpGate.port, path: join(sftp.root, dialect) }) });
  });
  afterAll(async () => srv?.stop());

  const deliveries = async (runId: string) =>
    ((await (await srv.api(`/api/v1/runs/${runId}/deliveries`, { token: admin })).json()) as { items: DeliveryView[] }).items;
  const on = async (runId: string, destinationId: string) => (await deliveries(runId)).find((d) => d.destinationId === destinationId)!;
  const run = async (bytes: Buffer, destinationIds: string[], extra: { partSize?: number } = {}) => {
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds, bytes, ...extra });
    srv.deliveries.kick();
    return runId;
  };
  const nameOf = async (runId: string) => {
    const { db, t } = srv.ctx.database;
    return artifactObjectName((await db.select().from(t.runs).where(eq(t.runs.id, runId)))[0]!);
  };

  it("a destination down for a while is retried with backoff and gets the artifact once it returns; the others do not wait", { timeout: 60_000 }, async () => {
    s3Gate.down();
    const bytes = randomBytes(300_000);
    const runId = await run(bytes, [dest.local, dest.s3, dest.sftp]);
    await vi.waitFor(async () => {
      const ds = await deliveries(runId);
      expect(ds.find((d) => d.destinationId === dest.local)?.state).toBe("completed");
      expect(ds.find((d) => d.destinationId === dest.sftp)?.state).toBe("completed");
    }, { timeout: 20_000 });
    await vi.waitFor(async () => expect((await on(runId, dest.s3)).attempts).toBeGreaterThanOrEqual(2), { timeout: 20_000 });
    const waiting = await on(runId, dest.s3);
    expect(waiting.state).toMatch(/pending|running/);
    expect(waiting.error).toMatchObject({ code: "DESTINATION_UNREACHABLE", retryable: true });
    // The spool copy stays while a delivery still waits.
    expect(await exists(spooledPath(srv.ctx.env.spoolDir, runId))).toBe(true);

    s3Gate.up();
    await vi.waitFor(async () => expect((await on(runId, dest.s3)).state).toBe("completed"), { timeout: 20_000 });
    const done = await on(runId, dest.s3);
    expect(done).toMatchObject({ error: null, nextAttemptAt: null, bytes: bytes.length, destinationName: "bucket" });
    expect(done.durationMs).toEqual(expect.any(Number));
    expect(done.path).toBe(`s3://${s3.bucket}/hf-${dialect}/${await nameOf(runId)}`);
    await vi.waitFor(async () => expect(await exists(spooledPath(srv.ctx.env.spoolDir, runId))).toBe(false));
    for (const kind of ["local", "s3", "sftp"] as const) {
      expect(sha(await buffer(await open[kind]().get(await nameOf(runId))))).toBe(sha(bytes));
    }
  });

  it("a local folder on the spool's file system gets the spool copy by hard link, and the delivered file survives the spool's cleanup", { timeout: 60_000 }, async () => {
    const bytes = randomBytes(400_000);
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [dest.local], bytes });
    const spooled = spooledPath(srv.ctx.env.spoolDir, runId);
    const inode = (await stat(spooled)).ino;
    srv.deliveries.kick();
    await vi.waitFor(async () => expect((await on(runId, dest.local)).state).toBe("completed"), { timeout: 30_000 });
    const name = await nameOf(runId);
    const path = join(srv.dir, "backups", name);
    expect(await on(runId, dest.local)).toMatchObject({ path, bytes: bytes.length, error: null });
    await vi.waitFor(async () => expect(await exists(spooled)).toBe(false));
    // The same inode, no longer named in the spool: the bytes and hash are the artifact's.
    const delivered = await stat(path);
    expect(delivered.ino).toBe(inode);
    expect(delivered.nlink).toBe(1);
    expect(sha(await readFile(path))).toBe(sha(bytes));
    expect(ArtifactSidecar.parse(JSON.parse(await readFile(`${path}.json`, "utf8")))).toMatchObject({ runId, sha256: sha(bytes), sizeBytes: bytes.length });
  });

  it.skipIf(!existsSync("/dev/shm"))("a local folder on another file system than the spool gets a copy, as before", { timeout: 60_000 }, async () => {
    const root = await mkdtemp("/dev/shm/holdfast-delivery-");
    try {
      const res = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: `shm-${dialect}`, type: "local", config: { path: root } } });
      const shm = ((await res.json()) as { id: string }).id;
      const bytes = randomBytes(300_000);
      const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [shm], bytes });
      const inode = (await stat(spooledPath(srv.ctx.env.spoolDir, runId))).ino;
      srv.deliveries.kick();
      await vi.waitFor(async () => expect((await on(runId, shm)).state).toBe("completed"), { timeout: 30_000 });
      const path = join(root, await nameOf(runId));
      expect((await stat(path)).ino).not.toBe(inode);
      expect(sha(await readFile(path))).toBe(sha(bytes));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("names the artifact <datasource>/<yyyy>/<mm>/<UTC timestamp>_<runId><ext> and writes a sidecar enough to restore from", async () => {
    const bytes = randomBytes(10_000);
    const runId = await run(bytes, [dest.local, dest.sftp]);
    await vi.waitFor(async () => expect((await deliveries(runId)).map((d) => d.state)).toEqual(["completed", "completed"]), { timeout: 20_000 });
    const name = await nameOf(runId);
    expect(name).toMatch(NAME);
    expect(name.startsWith(`${dsId}/`)).toBe(true);
    const local = await on(runId, dest.local);
    expect(local.path).toBe(join(srv.dir, "backups", name));
    const sidecar = ArtifactSidecar.parse(JSON.parse((await buffer(await open.sftp().get(`${name}.json`))).toString()));
    expect(sidecar).toEqual({
      holdfastSidecar: 1,
      runId,
      datasourceId: dsId,
      engine: "postgres",
      fileName: `${runId}.sql.gz`,
      sha256: sha(bytes),
      sizeBytes: bytes.length,
      rawSizeBytes: bytes.length * 3,
      format: "plain",
      codec: "gzip",
      level: 6,
      serverVersion: "PostgreSQL 17.2",
      createdAt: expect.stringMatching(/Z$/),
      finishedAt: expect.stringMatching(/Z$/),
      encrypted: false,
      recipient: null,
      parts: null,
    });
    expect(JSON.parse(await readFile(join(srv.dir, "backups", `${name}.json`), "utf8"))).toEqual(sidecar);
  });

  it("writes a split artifact as .partNNNN objects, each from its range and hash, that join to the whole; the sidecar lists them", { timeout: 60_000 }, async () => {
    const bytes = randomBytes(250_000);
    const runId = await run(bytes, [dest.local, dest.s3, dest.sftp], { partSize: 100_000 });
    await vi.waitFor(async () => expect((await deliveries(runId)).every((d) => d.state === "completed")).toBe(true), { timeout: 30_000 });
    const name = await nameOf(runId);
    for (const kind of ["local", "s3", "sftp"] as const) {
      const d = open[kind]();
      expect((await d.list(name)).map((e) => [e.name, e.bytes])).toEqual([
        [`${name}.json`, expect.any(Number)],
        [`${name}.part0001`, 100_000],
        [`${name}.part0002`, 100_000],
        [`${name}.part0003`, 50_000],
      ]);
      const joined = Buffer.concat([await buffer(await d.get(`${name}.part0001`)), await buffer(await d.get(`${name}.part0002`)), await buffer(await d.get(`${name}.part0003`))]);
      expect(sha(joined)).toBe(sha(bytes));
      const sidecar = ArtifactSidecar.parse(JSON.parse((await buffer(await d.get(`${name}.json`))).toString()));
      expect(sidecar.parts).toEqual([
        { index: 1, name: `${name.split("/").pop()}.part0001`, offset: 0, sizeBytes: 100_000, sha256: sha(bytes.subarray(0, 100_000)) },
        { index: 2, name: `${name.split("/").pop()}.part0002`, offset: 100_000, sizeBytes: 100_000, sha256: sha(bytes.subarray(100_000, 200_000)) },
        { index: 3, name: `${name.split("/").pop()}.part0003`, offset: 200_000, sizeBytes: 50_000, sha256: sha(bytes.subarray(200_000)) },
      ]);
      expect(sidecar.sha256).toBe(sha(bytes));
    }
    // The recorded location is the name the parts hang off; bytes are the whole artifact's.
    expect(await on(runId, dest.local)).toMatchObject({ path: join(srv.dir, "backups", name), bytes: 250_000 });
  });

  it("never writes a part whose bytes differ from its hash: CHECKSUM_MISMATCH, not retried, nothing left under the name", async () => {
    const bytes = randomBytes(30_000);
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [dest.local], bytes, partSize: 10_000 });
    const spooled = spooledPath(srv.ctx.env.spoolDir, runId);
    const bad = Buffer.from(bytes);
    bad[15_000] = bad[15_000]! ^ 0xff;
    await writeFile(spooled, bad);
    srv.deliveries.kick();
    await vi.waitFor(async () => expect((await on(runId, dest.local)).state).toBe("failed"), { timeout: 30_000 });
    expect(await on(runId, dest.local)).toMatchObject({ attempts: 1, error: { code: "CHECKSUM_MISMATCH", retryable: false } });
    expect(await open.local().list(await nameOf(runId))).toEqual([]);
    await vi.waitFor(async () => expect(await exists(spooled)).toBe(false));
  });

  it("refuses a delivery that would pass the destination's maxSizeGb, counting the live delivered bytes", async () => {
    // 2,500 bytes of quota (GB = 10^9 bytes).
    const res = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "small", type: "local", maxSizeGb: 0.0000025, config: { path: join(srv.dir, "small") } } });
    const small = ((await res.json()) as { id: string }).id;
    const first = await run(randomBytes(2_000), [small]);
    await vi.waitFor(async () => expect((await on(first, small)).state).toBe("completed"), { timeout: 30_000 });
    const second = await run(randomBytes(1_000), [small]);
    await vi.waitFor(async () => expect((await on(second, small)).state).toBe("failed"), { timeout: 30_000 });
    expect(await on(second, small)).toMatchObject({ attempts: 1, error: { code: "DESTINATION_QUOTA_EXCEEDED", retryable: false, details: { usedBytes: 2_000, maxSizeGb: 0.0000025 } } });
    expect(await open.local().list("")).not.toContainEqual(expect.objectContaining({ name: expect.stringContaining(second) }));
  });

  it("a control plane restarted while a delivery waits for its next try resumes it", { timeout: 60_000 }, async () => {
    sftpGate.down();
    const bytes = randomBytes(20_000);
    const runId = await run(bytes, [dest.sftp]);
    const name = await nameOf(runId);
    await vi.waitFor(async () => expect((await on(runId, dest.sftp)).attempts).toBeGreaterThanOrEqual(1), { timeout: 20_000 });
    await srv.close();
    sftpGate.up();
    const again = await startServer(srv.ctx.env, { quiet: true, logger: pino({ level: "silent" }) });
    try {
      const { db, t } = again.ctx.database;
      await vi.waitFor(async () => expect((await db.select().from(t.deliveries).where(eq(t.deliveries.runId, runId)))[0]?.state).toBe("completed"), { timeout: 20_000 });
      expect(sha(await buffer(await open.sftp().get(name)))).toBe(sha(bytes));
      await vi.waitFor(async () => expect(await exists(spooledPath(srv.ctx.env.spoolDir, runId))).toBe(false));
    } finally {
      await again.close();
    }
  });
});

describe("giving up", () => {
  let srv: TestServer;
  let gate: TcpGate;
  beforeAll(async () => {
    srv = await startTestServer("sqlite", { vars: { HOLDFAST_DELIVERY_BACKOFF_MS: "50", HOLDFAST_DELIVERY_ATTEMPTS: "3" } });
    gate = await startTcpGate(sftp.port);
  });
  afterAll(async () => {
    await srv?.stop();
    await gate?.close();
  });

  it("fails a delivery after HOLDFAST_DELIVERY_ATTEMPTS tries with the last error, and the spool copy goes", { timeout: 60_000 }, async () => {
    const admin = await srv.token("admin");
    const agentId = (await srv.enroll()).agentId;
    const dsId = await seedDatasource(srv.ctx, agentId);
    const created = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "ssh", type: "sftp", config: sftp.config({ port: gate.port, path: join(sftp.root, "giving-up") }) } });
    const destId = ((await created.json()) as { id: string }).id;
    gate.down();
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [destId], bytes: randomBytes(5_000) });
    srv.deliveries.kick();
    const view = async () => ((await (await srv.api(`/api/v1/runs/${runId}/deliveries`, { token: admin })).json()) as { items: DeliveryView[] }).items[0]!;
    await vi.waitFor(async () => expect((await view()).state).toBe("failed"), { timeout: 40_000 });
    expect(await view()).toMatchObject({ attempts: 3, nextAttemptAt: null, error: { code: "DESTINATION_UNREACHABLE" } });
    await vi.waitFor(async () => expect(await exists(spooledPath(srv.ctx.env.spoolDir, runId))).toBe(false));
    // The run itself stays completed: a delivery failing is not the backup failing.
    expect(((await (await srv.api(`/api/v1/runs/${runId}`, { token: admin })).json()) as { state: string }).state).toBe("completed");
  });
});
