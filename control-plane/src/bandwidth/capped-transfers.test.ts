import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { AGENT_ROUTES, UPLOAD_OFFSET_HEADER } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { partialPath, sizeOrZero } from "../artifacts/spool.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";

const MIB = 1024 * 1024;
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

// Real HTTP uploads into a real control plane, and real deliveries to a folder, under a cap. A
// lower bound on the time is what proves a cap: the bucket never lets more than the rate through,
// so however fast or slow the machine, a capped transfer cannot end sooner.
describe("capped transfers, end to end in the control plane", () => {
  let srv: TestServer;
  let operator: string;
  let agentId: string;
  let dsId: string;

  beforeAll(async () => {
    srv = await startTestServer("sqlite", { deliveries: { pollMs: 3_600_000 } });
    operator = await srv.token("operator");
    agentId = (await srv.enroll()).agentId;
    dsId = await seedDatasource(srv.ctx, agentId);
  });
  afterAll(async () => srv?.stop());

  const patch = async (path: string, json: unknown) => {
    const res = await srv.api(`/api/v1${path}`, { method: "PATCH", token: operator, json });
    expect(res.status).toBe(200);
  };

  /** A completed run of `size` bytes whose artifact the control plane waits for. */
  async function awaitedRun(bytes: Buffer): Promise<string> {
    const runId = `run_cap_${randomBytes(4).toString("hex")}`;
    const { db, t } = srv.ctx.database;
    await db.insert(t.runs).values({ id: runId, kind: "backup", trigger: "manual", agentId, datasourceId: dsId, state: "completed", idempotencyKey: runId, sizeBytes: bytes.length, sha256: sha(bytes), createdAt: Date.now() });
    return runId;
  }

  /** The agent's PATCH, its body streamed from `chunks`; resolves with the answer's status and when it came. */
  async function upload(runId: string, chunks: AsyncIterable<Buffer>): Promise<{ status: number; at: number }> {
    const res = await fetch(`${srv.url}${AGENT_ROUTES.artifacts}/${runId}`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${srv.ctx.uploads.issue(runId, agentId)}`, [UPLOAD_OFFSET_HEADER]: "0", "content-type": "application/offset+octet-stream" },
      body: Readable.from(chunks) as unknown as RequestInit["body"],
      duplex: "half",
    } as RequestInit);
    await res.arrayBuffer();
    return { status: res.status, at: performance.now() };
  }

  async function* pieces(bytes: Buffer, from = 0, to = bytes.length) {
    for (let at = from; at < to; at += 64 * 1024) yield bytes.subarray(at, Math.min(to, at + 64 * 1024));
  }

  it("receives an agent's 2 MiB upload capped at 1 MiB/s in no less than 1.5 s, every byte whole", async () => {
    await patch(`/agents/${agentId}`, { transferCapMiBps: 1 });
    const bytes = randomBytes(2 * MIB);
    const runId = await awaitedRun(bytes);
    const started = performance.now();
    const { status, at } = await upload(runId, pieces(bytes));
    const seconds = (at - started) / 1000;
    expect(status).toBe(204);
    // 2 s at the cap; a generous band: no faster than 1.5 s, and not stalled either.
    expect(seconds).toBeGreaterThanOrEqual(1.5);
    expect(seconds).toBeLessThan(20);
    expect(sha(await readFile(partialPath(srv.ctx.env.spoolDir, runId)))).toBe(sha(bytes));
  });

  it("slows an upload under way when the agent's cap is lowered by PATCH /agents/:id", async () => {
    await patch(`/agents/${agentId}`, { transferCapMiBps: 2 });
    const bytes = randomBytes(MIB);
    const runId = await awaitedRun(bytes);
    const first = 128 * 1024;
    let patchedAt = 0;
    // The body's first 128 KiB, then the cap goes down to 0.25 MiB/s once the control plane holds
    // them, then the rest (896 KiB): 3.5 s at the new cap, under half a second at the old one.
    async function* body() {
      yield* pieces(bytes, 0, first);
      await vi.waitFor(async () => expect(await sizeOrZero(partialPath(srv.ctx.env.spoolDir, runId))).toBe(first), { timeout: 10_000, interval: 10 });
      await patch(`/agents/${agentId}`, { transferCapMiBps: 0.25 });
      patchedAt = performance.now();
      yield* pieces(bytes, first);
    }
    const { status, at } = await upload(runId, body());
    expect(status).toBe(204);
    expect((at - patchedAt) / 1000).toBeGreaterThanOrEqual(2.5);
    expect(sha(await readFile(partialPath(srv.ctx.env.spoolDir, runId)))).toBe(sha(bytes));
    await patch(`/agents/${agentId}`, { transferCapMiBps: null });
  });

  /**
   * A local destination, and a 2 MiB backup waiting in the spool to be delivered to it. The folder
   * shares the spool's file system: a whole artifact would be linked there, not written, so the
   * backup is split in two parts (each streamed from its range of the spool copy), unless `whole`.
   */
  async function deliveryTo(cap: number, whole = false): Promise<{ destinationId: string; runId: string; folder: string }> {
    const folder = join(srv.dir, `dest-${randomBytes(4).toString("hex")}`);
    await mkdir(folder);
    const res = await srv.api("/api/v1/destinations", { method: "POST", token: operator, json: { name: folder, type: "local", config: { path: folder }, transferCapMiBps: cap } });
    const destinationId = ((await res.json()) as { id: string }).id;
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [destinationId], bytes: randomBytes(2 * MIB), ...(whole ? {} : { partSize: MIB }) });
    return { destinationId, runId, folder };
  }
  const deliveryOf = async (runId: string) => {
    const { db, t } = srv.ctx.database;
    return (await db.select().from(t.deliveries).where(eq(t.deliveries.runId, runId)))[0]!;
  };

  it("writes a 2 MiB artifact to a destination capped at 1 MiB/s in no less than 1.5 s", async () => {
    const { runId } = await deliveryTo(1);
    srv.deliveries.kick();
    await vi.waitFor(async () => expect((await deliveryOf(runId)).state).toBe("completed"), { timeout: 30_000, interval: 20 });
    const delivery = await deliveryOf(runId);
    expect(delivery.bytes).toBe(2 * MIB);
    expect(delivery.durationMs).toBeGreaterThanOrEqual(1500);
    expect(delivery.durationMs).toBeLessThan(20_000);
  });

  it("speeds up a delivery under way when the destination's cap is lifted by PATCH /destinations/:id", async () => {
    // 0.1 MiB/s: 20 s at least for 2 MiB if the change did not reach it.
    const { destinationId, runId } = await deliveryTo(0.1);
    srv.deliveries.kick();
    await vi.waitFor(async () => expect((await deliveryOf(runId)).state).toBe("running"), { timeout: 10_000, interval: 10 });
    await patch(`/destinations/${destinationId}`, { transferCapMiBps: null });
    await vi.waitFor(async () => expect((await deliveryOf(runId)).state).toBe("completed"), { timeout: 30_000, interval: 20 });
    // Well under the 20 s of the old cap, and under the 10 s after which the bucket would have
    // re-read the stored value anyway (CAP_REFRESH_MS): the PATCH itself reached it.
    expect((await deliveryOf(runId)).durationMs).toBeLessThan(6_000);
  });

  it("links a whole artifact into a folder on the spool's file system at no cap: no byte moves", async () => {
    const { runId, folder } = await deliveryTo(0.1, true);
    srv.deliveries.kick();
    await vi.waitFor(async () => expect((await deliveryOf(runId)).state).toBe("completed"), { timeout: 30_000, interval: 20 });
    const delivery = await deliveryOf(runId);
    expect(delivery.path!.startsWith(folder)).toBe(true);
    // Capped, its 2 MiB would have taken 20 s at least.
    expect(delivery.durationMs).toBeLessThan(10_000);
  });
});
