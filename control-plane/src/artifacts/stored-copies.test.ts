import { createHash, randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { PassThrough } from "node:stream";
import { join } from "node:path";
import { type CopyRunAnswer, HoldfastError, type ValidateRunAnswer } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { artifactObjectName } from "../deliveries/object-name.js";
import type { DeliveryView } from "../deliveries/list-deliveries.js";
import { verifyStoredCopy } from "../deliveries/verify-stored-copy.js";
import { localDestination } from "../destinations/local.js";
import type { Destination } from "../destinations/types.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { startS3Server, type TestS3Server } from "../testing/s3-server.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import { exists, spooledPath } from "./spool.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("validating and copying a stored backup (local destinations, SQLite)", () => {
  let srv: TestServer;
  let admin: string;
  let viewer: string;
  let agentId: string;
  let dsId: string;
  const dest = { a: "", b: "", c: "" };
  const folder = (key: keyof typeof dest) => join(srv.dir, `backups-${key}`);

  beforeAll(async () => {
    srv = await startTestServer("sqlite", { vars: { HOLDFAST_DELIVERY_BACKOFF_MS: "50", HOLDFAST_DELIVERY_ATTEMPTS: "2" } });
    admin = await srv.token("admin");
    viewer = await srv.token("viewer");
    agentId = (await srv.enroll()).agentId;
    dsId = await seedDatasource(srv.ctx, agentId);
    for (const key of Object.keys(dest) as (keyof typeof dest)[]) {
      const res = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: `disk-${key}`, type: "local", config: { path: folder(key) } } });
      dest[key] = ((await res.json()) as { id: string }).id;
    }
  });
  afterAll(async () => srv?.stop());

  const deliveries = async (runId: string) => ((await (await srv.api(`/api/v1/runs/${runId}/deliveries`, { token: admin })).json()) as { items: DeliveryView[] }).items;

  /** A backup delivered to `to`, its spool copy gone, as days after the backup. */
  async function delivered(bytes: Buffer, to: string[], partSize?: number) {
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: to, bytes, ...(partSize ? { partSize } : {}) });
    srv.deliveries.kick();
    await vi.waitFor(async () => expect(await exists(spooledPath(srv.ctx.env.spoolDir, runId))).toBe(false), { timeout: 90_000 });
    expect((await deliveries(runId)).map((d) => d.state)).toEqual(to.map(() => "completed"));
    const { db, t } = srv.ctx.database;
    const name = artifactObjectName((await db.select().from(t.runs).where(eq(t.runs.id, runId)))[0]!);
    return { runId, name };
  }
  const validate = async (runId: string, depth: "full" | "size", token = admin) => srv.api(`/api/v1/runs/${runId}/validate`, { method: "POST", token, json: { depth } });
  const verdicts = async (runId: string, depth: "full" | "size") => {
    const answer = (await (await validate(runId, depth)).json()) as ValidateRunAnswer;
    return Object.fromEntries(answer.copies.map((c) => [c.destinationId, c.verdict]));
  };

  it("finds intact copies ok at both depths, having read every byte at full depth", { timeout: 120_000 }, async () => {
    const bytes = randomBytes(150_000);
    const { runId } = await delivered(bytes, [dest.a, dest.b], 60_000);
    const res = await validate(runId, "full");
    expect(res.status).toBe(200);
    const answer = (await res.json()) as ValidateRunAnswer;
    expect(answer.ok).toBe(true);
    expect(answer.copies.map((c) => [c.destinationName, c.verdict, c.checked])).toEqual([
      ["disk-a", "ok", "sha256"],
      ["disk-b", "ok", "sha256"],
    ]);
    expect(answer.copies[0]!.bytesRead).toBeGreaterThan(bytes.length);
    const cheap = (await (await validate(runId, "size")).json()) as ValidateRunAnswer;
    expect(cheap.copies.map((c) => [c.verdict, c.checked, c.bytesRead])).toEqual([
      ["ok", "size", 0],
      ["ok", "size", 0],
    ]);
    expect((await validate(runId, "full", viewer)).status).toBe(403);
  });

  it("tells a missing part from an altered byte, which only full depth sees", { timeout: 120_000 }, async () => {
    const bytes = randomBytes(150_000);
    const { runId, name } = await delivered(bytes, [dest.a, dest.b], 60_000);
    await rm(join(folder("a"), `${name}.part0002`));
    const altered = join(folder("b"), `${name}.part0003`);
    const part = await readFile(altered);
    part[10] = part[10]! ^ 0xff;
    await writeFile(altered, part);
    const full = (await (await validate(runId, "full")).json()) as ValidateRunAnswer;
    expect(full.ok).toBe(false);
    expect(Object.fromEntries(full.copies.map((c) => [c.destinationId, c.verdict]))).toEqual({ [dest.a]: "missing", [dest.b]: "altered" });
    expect(full.copies.find((c) => c.destinationId === dest.a)!.detail).toContain("part0002");
    expect(full.copies.find((c) => c.destinationId === dest.b)!.detail).toContain("part0003");
    expect(await verdicts(runId, "size")).toEqual({ [dest.a]: "missing", [dest.b]: "ok" });
  });

  it("says unreachable, with the catalog's code, for a destination that cannot be listed or stops sending", async () => {
    const bytes = randomBytes(1000);
    const recorded = { runId: "run_1", sizeBytes: bytes.length, sha256: sha(bytes), parts: undefined };
    const down: Destination = { ...localDestination({ path: folder("c") }), list: () => Promise.reject(new HoldfastError("DESTINATION_UNREACHABLE", "connect ECONNREFUSED")) };
    expect(await verifyStoredCopy(down, "ds_1/x.sql.gz", recorded, "size")).toMatchObject({ verdict: "unreachable", errorCode: "DESTINATION_UNREACHABLE" });
    // Listed, then the read never sends a byte: the idle bound ends it rather than a hang.
    const stalled: Destination = {
      ...down,
      list: async () => [{ name: "ds_1/x.sql.gz", bytes: 1000, modifiedAt: new Date() }, { name: "ds_1/x.sql.gz.json", bytes: 10, modifiedAt: new Date() }],
      get: async () => new PassThrough(),
    };
    expect(await verifyStoredCopy(stalled, "ds_1/x.sql.gz", recorded, "full", 50)).toMatchObject({ verdict: "unreachable", errorCode: "DESTINATION_UNREACHABLE", bytesRead: 0 });
  });

  it("copies a backup whose spool copy is gone from a destination holding it, byte for byte, with its sidecar", { timeout: 120_000 }, async () => {
    const bytes = randomBytes(130_000);
    const { runId, name } = await delivered(bytes, [dest.a], 50_000);
    const res = await srv.api(`/api/v1/runs/${runId}/copies`, { method: "POST", token: admin, json: { destinationId: dest.b } });
    expect(res.status).toBe(202);
    const answer = (await res.json()) as CopyRunAnswer;
    expect(answer).toMatchObject({ runId, destinationId: dest.b });
    await vi.waitFor(async () => expect((await deliveries(runId)).find((d) => d.id === answer.deliveryId)?.state).toBe("completed"), { timeout: 90_000 });
    const joined = Buffer.concat(await Promise.all([1, 2, 3].map((i) => readFile(join(folder("b"), `${name}.part000${i}`)))));
    expect(sha(joined)).toBe(sha(bytes));
    expect(JSON.parse(await readFile(join(folder("b"), `${name}.json`), "utf8"))).toMatchObject({ runId, sha256: sha(bytes), sizeBytes: bytes.length });
    expect(await verdicts(runId, "full")).toEqual({ [dest.a]: "ok", [dest.b]: "ok" });

    const again = await srv.api(`/api/v1/runs/${runId}/copies`, { method: "POST", token: admin, json: { destinationId: dest.b } });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe("ALREADY_EXISTS");
    const nowhere = await srv.api(`/api/v1/runs/${runId}/copies`, { method: "POST", token: admin, json: { destinationId: "dst_0000000000000000" } });
    expect(((await nowhere.json()) as { error: { code: string } }).error.code).toBe("DESTINATION_NOT_FOUND");
  });

  it("copies a split backup held on a local disk to an S3 bucket, where a full validation reads it back whole", { timeout: 180_000 }, async () => {
    const s3: TestS3Server = await startS3Server();
    try {
      const res = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "bucket", type: "s3", config: s3.config({ prefix: "copies" }) } });
      const bucket = ((await res.json()) as { id: string }).id;
      const bytes = randomBytes(120_000);
      const { runId } = await delivered(bytes, [dest.a], 50_000);
      const copy = (await (await srv.api(`/api/v1/runs/${runId}/copies`, { method: "POST", token: admin, json: { destinationId: bucket } })).json()) as CopyRunAnswer;
      await vi.waitFor(async () => expect((await deliveries(runId)).find((d) => d.id === copy.deliveryId)?.state).toBe("completed"), { timeout: 120_000 });
      expect(await verdicts(runId, "full")).toEqual({ [dest.a]: "ok", [bucket]: "ok" });
    } finally {
      await s3.stop();
    }
  });

  it("refuses to copy a backup that never completed", async () => {
    const runId = await seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [dest.a], bytes: randomBytes(10), state: "failed" });
    const res = await srv.api(`/api/v1/runs/${runId}/copies`, { method: "POST", token: admin, json: { destinationId: dest.b } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("ARTIFACT_NOT_FOUND");
  });
});
