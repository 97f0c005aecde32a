import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { S3DestinationConfig } from "@holdfast/shared";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { errorOf, sha256Of } from "../testing/destination-contract.js";
import { objectLockS3, type ObjectLockS3 } from "../testing/object-lock-s3.js";
import { s3Destination } from "./s3.js";

/**
 * Object Lock against S3's documented API (testing/object-lock-s3.ts, through msw): no S3 server
 * that runs here implements it. The fake refuses what S3 refuses (a locked upload without a
 * checksum, a locked version deleted before its date), so each test fails if the request is wrong.
 */
const MIB = 1024 * 1024;
const DAY = 86_400_000;
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function setUp(opts: Parameters<typeof objectLockS3>[0] = {}): ObjectLockS3 {
  const fake = objectLockS3(opts);
  server.use(...fake.handlers);
  return fake;
}

const crcOf = (b: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b));
  return out.toString("base64");
};

function dest(fake: ObjectLockS3, extra: Record<string, unknown> = {}) {
  return s3Destination(
    S3DestinationConfig.parse({
      endpoint: fake.endpoint,
      forcePathStyle: true,
      bucket: fake.bucket,
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "secret",
      objectLock: { mode: "COMPLIANCE", days: 30 },
      ...extra,
    }),
  );
}

describe("S3 Object Lock (S3's documented API, through msw)", () => {
  it.each([
    ["an S3-compatible endpoint (checksums only where required)", {}],
    ["AWS itself (the SDK's default checksums)", { endpoint: undefined, forcePathStyle: false }],
  ])("writes an object with its mode, its retain-until date and a CRC32 on %s", async (_label, extra) => {
    const fake = setUp();
    const body = randomBytes(4096);
    const before = Date.now();
    const put = await dest(fake, extra).put(Readable.from([body]), "ds_1/2026/12/a.sql.gz", { bytes: body.length });
    const req = fake.requests.find((r) => r.method === "PUT")!;
    expect(req.headers.get("x-amz-object-lock-mode")).toBe("COMPLIANCE");
    const until = Date.parse(req.headers.get("x-amz-object-lock-retain-until-date")!);
    // 30 days after the write, rounded up to the second; `put` answers the same date.
    expect(until).toBeGreaterThanOrEqual(before + 30 * DAY);
    expect(until).toBeLessThanOrEqual(Date.now() + 30 * DAY + 1000);
    expect(until % 1000).toBe(0);
    expect(put.lockedUntil?.getTime()).toBe(until);
    expect(req.headers.get("x-amz-sdk-checksum-algorithm")).toBe("CRC32");
    expect(req.headers.get("x-amz-checksum-crc32")).toBe(crcOf(body));
    expect(fake.versions.get("ds_1/2026/12/a.sql.gz")).toMatchObject([{ mode: "COMPLIANCE", retainUntil: until }]);
  });

  it("a multipart upload carries the lock on CreateMultipartUpload and a CRC32 on every part", { timeout: 30_000 }, async () => {
    const fake = setUp();
    const body = randomBytes(17 * MIB);
    const put = await dest(fake, { objectLock: { mode: "GOVERNANCE", days: 7 } }).put(Readable.from([body]), "ds_1/big.bin", { bytes: body.length });
    const create = fake.requests.filter((r) => r.method === "POST" && r.query.has("uploads"));
    expect(create).toHaveLength(1);
    expect(create[0]!.headers.get("x-amz-object-lock-mode")).toBe("GOVERNANCE");
    expect(Date.parse(create[0]!.headers.get("x-amz-object-lock-retain-until-date")!)).toBe(put.lockedUntil!.getTime());
    expect(create[0]!.headers.get("x-amz-checksum-algorithm")).toBe("CRC32");
    const parts = fake.requests.filter((r) => r.method === "PUT" && r.query.has("partNumber"));
    expect(parts).toHaveLength(3); // 8 MiB parts
    for (const p of parts) expect(p.headers.get("x-amz-checksum-crc32")).toMatch(/^[A-Za-z0-9+/]{6}==$/);
    // A part carries no lock of its own: S3 takes it from the upload.
    expect(parts.every((p) => !p.headers.has("x-amz-object-lock-mode"))).toBe(true);
    const stored = fake.versions.get("ds_1/big.bin")!;
    expect(stored).toMatchObject([{ mode: "GOVERNANCE", retainUntil: put.lockedUntil!.getTime() }]);
    expect(await sha256Of(Readable.from([stored[0]!.body!]))).toBe(await sha256Of(Readable.from([body])));
  });

  it("without Object Lock in the config, nothing is locked and a plain DeleteObject is used", async () => {
    const fake = setUp();
    const d = dest(fake, { objectLock: undefined });
    const put = await d.put(Readable.from([Buffer.from("x")]), "plain.bin");
    expect(put.lockedUntil).toBeUndefined();
    expect(fake.requests[0]!.headers.has("x-amz-object-lock-mode")).toBe(false);
    await d.delete("plain.bin");
    expect(fake.requests.filter((r) => r.method === "DELETE").map((r) => r.query.has("versionId"))).toEqual([false]);
  });

  it("test() refuses a bucket without Object Lock before writing anything, naming the field", async () => {
    const fake = setUp({ objectLockEnabled: false });
    const err = await errorOf(dest(fake).test());
    expect(err).toMatchObject({ code: "DESTINATION_OBJECT_LOCK_DISABLED", details: { field: "config.objectLock" } });
    expect(err.message).toContain("config.objectLock");
    expect(String(err.details?.reason)).toContain("ObjectLockConfigurationNotFoundError");
    expect(fake.requests.map((r) => r.method)).toEqual(["GET"]);
  });

  it("test() on a bucket with Object Lock writes its probe unlocked, and leaves no version of it", async () => {
    const fake = setUp();
    const probe = await dest(fake).test();
    expect(probe).toMatchObject({ ok: true, canDelete: true });
    expect(fake.requests[0]!.query.has("object-lock")).toBe(true);
    expect(fake.requests.find((r) => r.method === "PUT")!.headers.has("x-amz-object-lock-mode")).toBe(false);
    expect(fake.versions.size).toBe(0);
  });

  it("test() on a bucket whose default retention locks the probe anyway: a delete marker hides it", async () => {
    const fake = setUp({ defaultRetention: { mode: "COMPLIANCE", days: 1 } });
    expect(await dest(fake).test()).toMatchObject({ ok: true, canDelete: true });
    const [versions] = [...fake.versions.values()];
    expect(versions!.map((v) => v.deleteMarker)).toEqual([false, true]);
  });

  it("delete before the retain-until date: DESTINATION_OBJECT_LOCKED with the date, every version kept; after it, every version deleted", async () => {
    const fake = setUp();
    const d = dest(fake, { objectLock: { mode: "COMPLIANCE", days: 1 } });
    await d.put(Readable.from([Buffer.from("one")]), "ds_1/a.bin");
    const second = await d.put(Readable.from([Buffer.from("two")]), "ds_1/a.bin"); // a retried delivery: two versions
    await d.put(Readable.from([Buffer.from("{}")]), "ds_1/a.bin.json"); // shares the prefix: not touched
    const err = await errorOf(d.delete("ds_1/a.bin"));
    expect(err).toMatchObject({ code: "DESTINATION_OBJECT_LOCKED", retryable: false, details: { mode: "COMPLIANCE" } });
    expect(Date.parse(String(err.details?.lockedUntil))).toBeGreaterThan(Date.now());
    expect(fake.versions.get("ds_1/a.bin")).toHaveLength(2);
    // S3's clock passes the date: each version goes, not a delete marker over them.
    fake.setNow(second.lockedUntil!.getTime() + 1000);
    await d.delete("ds_1/a.bin");
    expect(fake.versions.has("ds_1/a.bin")).toBe(false);
    expect(fake.versions.get("ds_1/a.bin.json")).toHaveLength(1);
    const deletes = fake.requests.filter((r) => r.method === "DELETE");
    expect(deletes.every((r) => r.query.has("versionId"))).toBe(true);
    // Deleting what is not there is no error.
    await d.delete("ds_1/a.bin");
  });

  it("credentials that may not delete versions, or list them: DESTINATION_DELETE_DENIED", async () => {
    const fake = setUp();
    const d = dest(fake);
    await dest(fake, { objectLock: undefined }).put(Readable.from([Buffer.from("x")]), "unlocked.bin");
    const denied = () => HttpResponse.xml("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", { status: 403 });
    server.use(http.delete(`${fake.endpoint}/*`, denied));
    expect(await errorOf(d.delete("unlocked.bin"))).toMatchObject({ code: "DESTINATION_DELETE_DENIED", details: { reason: expect.stringContaining("AccessDenied") } });
    server.use(http.get(`${fake.endpoint}/${fake.bucket}`, ({ request }) => (new URL(request.url).searchParams.has("versions") ? denied() : undefined)));
    const err = await errorOf(d.delete("unlocked.bin"));
    expect(err.code).toBe("DESTINATION_DELETE_DENIED");
    expect(err.message).toContain("ListObjectVersions");
  });
});
