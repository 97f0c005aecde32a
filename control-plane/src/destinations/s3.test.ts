import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { S3DestinationConfig } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destinationContract, errorOf, randomSource, sha256Of } from "../testing/destination-contract.js";
import { startS3Server, type TestS3Server } from "../testing/s3-server.js";
import { assertEndpointAllowed, guardedLookup, refusedEndpointReason } from "./endpoint-guard.js";
import { partSizeFor, s3Destination } from "./s3.js";
import { s3Failure } from "./s3-client.js";

const MIB = 1024 * 1024;

describe("s3 destination against s3rver", () => {
  let s3: TestS3Server;
  let n = 0;
  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => s3?.stop());

  const dest = (extra: Record<string, unknown> = {}) => s3Destination(S3DestinationConfig.parse(s3.config(extra)));

  destinationContract(() => {
    const prefix = `contract-${n++}`;
    return { dest: () => dest({ prefix }), knowsFreeSpace: false };
  });

  it("uploads a large stream in parts and the object holds exactly those bytes", { timeout: 60_000 }, async () => {
    const src = randomSource(20 * MIB);
    const before = s3.requests.length;
    // No size hint: 16 MiB parts, so 20 MiB takes two.
    const put = await dest({ prefix: "multipart" }).put(src.stream, "ds_1/big.bin");
    expect(put).toEqual({ path: `s3://${s3.bucket}/multipart/ds_1/big.bin`, bytes: 20 * MIB });
    const calls = s3.requests.slice(before);
    expect(calls.filter((c) => c.startsWith("POST") && c.includes("?uploads"))).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith("PUT") && c.includes("partNumber="))).toHaveLength(2);
    expect(calls.filter((c) => c.startsWith("POST") && c.includes("uploadId="))).toHaveLength(1);
    expect(await sha256Of(await dest({ prefix: "multipart" }).get("ds_1/big.bin"))).toBe(src.sha256());
  });

  it("a source that fails mid-upload leaves no object under the key (the parts: s3rver cannot abort)", { timeout: 60_000 }, async () => {
    const d = dest({ prefix: "aborted" });
    // Fails after 18 MiB: one 16 MiB part is already uploaded, so a multipart upload is open.
    const src = randomSource(40 * MIB, MIB, 18 * MIB);
    const before = s3.requests.length;
    const err = await errorOf(d.put(src.stream, "ds_1/broken.bin"));
    expect(err).toMatchObject({ code: "DELIVERY_FAILED", retryable: true });
    expect(err.message).toContain("source died");
    const calls = s3.requests.slice(before);
    expect(calls.some((c) => c.includes("?uploads"))).toBe(true);
    // lib-storage tried to abort; s3rver refuses AbortMultipartUpload, which is reported, not hidden.
    expect(calls.some((c) => c.startsWith("DELETE") && c.includes("uploadId="))).toBe(true);
    expect(err.details?.cleanup).toMatch(/MethodNotAllowed|not allowed/i);
    expect(calls.some((c) => c.startsWith("POST") && c.includes("uploadId="))).toBe(false);
    expect(await d.stat("ds_1/broken.bin")).toBeNull();
    expect(await d.list("")).toEqual([]);
    expect(await readdir(join(s3.dir, s3.bucket)).catch(() => [])).not.toContain("aborted");
  });

  it("refuses an unknown access key with DESTINATION_AUTH_FAILED", async () => {
    const d = dest({ accessKeyId: "NOSUCHKEY" });
    expect((await errorOf(d.put(Readable.from([Buffer.from("x")]), "x.bin"))).code).toBe("DESTINATION_AUTH_FAILED");
    expect((await errorOf(d.test())).code).toBe("DESTINATION_AUTH_FAILED");
    expect((await errorOf(d.list(""))).code).toBe("DESTINATION_AUTH_FAILED");
    expect((await errorOf(d.stat("x.bin"))).code).toBe("DESTINATION_AUTH_FAILED");
  });

  it("maps a wrong secret (SignatureDoesNotMatch; s3rver does not check SigV4) and a 403 to DESTINATION_AUTH_FAILED", () => {
    const sdkError = (name: string, status: number) => Object.assign(new Error("refused"), { name, $metadata: { httpStatusCode: status } });
    expect(s3Failure(sdkError("SignatureDoesNotMatch", 403), "x").code).toBe("DESTINATION_AUTH_FAILED");
    expect(s3Failure(sdkError("Forbidden", 403), "x").code).toBe("DESTINATION_AUTH_FAILED");
    expect(s3Failure(sdkError("SlowDown", 503), "x")).toMatchObject({ code: "DESTINATION_UNREACHABLE", retryable: true });
    expect(s3Failure(sdkError("InvalidStorageClass", 400), "x").code).toBe("DESTINATION_REFUSED");
  });

  it("credentials that may write and read but not delete: DESTINATION_DELETE_DENIED, and a probe that passes saying so", async () => {
    const writeOnly = () => dest({ prefix: "write-only", ...s3.writeOnly });
    await writeOnly().put(Readable.from([Buffer.from("kept")]), "ds_1/a.bin");
    const err = await errorOf(writeOnly().delete("ds_1/a.bin"));
    expect(err).toMatchObject({ code: "DESTINATION_DELETE_DENIED", retryable: false });
    expect(String(err.details?.reason)).toContain("AccessDenied");
    expect(await writeOnly().stat("ds_1/a.bin")).not.toBeNull();
    // The probe writes and reads back; its delete is refused, so it passes with canDelete: false and its object stays.
    const probe = await writeOnly().test();
    expect(probe).toMatchObject({ ok: true, canDelete: false, leftBehind: expect.stringMatching(/^\.holdfast-probe-/) });
    expect(await writeOnly().stat(probe.leftBehind!)).not.toBeNull();
    // The same bucket with the full key pair deletes, and its probe says it can.
    await dest({ prefix: "write-only" }).delete("ds_1/a.bin");
    expect(await writeOnly().stat("ds_1/a.bin")).toBeNull();
    expect(await dest({ prefix: "write-only" }).test()).toMatchObject({ ok: true, canDelete: true });
    expect(await writeOnly().test({ probeName: ".holdfast-probe-kept" })).toMatchObject({ canDelete: false, leftBehind: ".holdfast-probe-kept" });
  });

  it("Object Lock asked of a server without it (s3rver: NotImplemented) is DESTINATION_OBJECT_LOCK_DISABLED, before anything is written", async () => {
    const before = s3.requests.length;
    const err = await errorOf(dest({ prefix: "locked", objectLock: { mode: "GOVERNANCE", days: 1 } }).test());
    expect(err).toMatchObject({ code: "DESTINATION_OBJECT_LOCK_DISABLED", details: { field: "config.objectLock" } });
    expect(String(err.details?.reason)).toContain("NotImplemented");
    expect(s3.requests.slice(before)).toEqual([`GET /${s3.bucket}/?object-lock=`]);
  });

  it("refuses a bucket that does not exist with DESTINATION_REFUSED", async () => {
    const err = await errorOf(dest({ bucket: "no-such-bucket" }).test());
    expect(err.code).toBe("DESTINATION_REFUSED");
    expect(String(err.details?.reason)).toContain("NoSuchBucket");
  });

  it("a server that is not there is DESTINATION_UNREACHABLE (retryable)", async () => {
    const closed = S3DestinationConfig.parse({ ...s3.config(), endpoint: "http://127.0.0.1:9" });
    const err = await errorOf(s3Destination(closed).stat("x.bin"));
    expect(err).toMatchObject({ code: "DESTINATION_UNREACHABLE", retryable: true });
  });

  it("keeps objects under the prefix and lists names relative to it", async () => {
    await dest({ prefix: "team/a" }).put(Readable.from([Buffer.from("a")]), "ds_1/f.bin");
    await dest({ prefix: "team/ab" }).put(Readable.from([Buffer.from("b")]), "ds_1/f.bin");
    expect((await dest({ prefix: "team/a" }).list("")).map((e) => e.name)).toEqual(["ds_1/f.bin"]);
    expect((await dest({ prefix: "team/a/" }).list("ds_1/")).map((e) => e.name)).toEqual(["ds_1/f.bin"]);
  });

  it("sizes parts so a known large artifact fits S3's 10,000 parts", () => {
    expect(partSizeFor(undefined)).toBe(16 * MIB);
    expect(partSizeFor(100 * MIB)).toBe(8 * MIB);
    const huge = 2 * 1024 ** 4;
    expect(Math.ceil(huge / partSizeFor(huge))).toBeLessThanOrEqual(10_000);
  });
});

describe("S3 endpoint policy", () => {
  const resolvingTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address }));

  it.each([
    "169.254.169.254",
    "169.254.0.1",
    "169.254.255.255",
    "[fe80::1]",
    "fe80::abcd:1%eth0",
    "febf::1",
    "metadata.google.internal",
    "METADATA.GOOGLE.INTERNAL.",
    "fd00:ec2::254",
    "[fd00:ec2:0:0:0:0:0:254]",
    // IPv4-mapped, dotted and hex; IPv4-compatible; NAT64's well-known prefix: all reach 169.254.169.254.
    "::ffff:169.254.169.254",
    "[::ffff:a9fe:a9fe]",
    "::169.254.169.254",
    "::a9fe:a9fe",
    "64:ff9b::169.254.169.254",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::a9fe:1",
    "0:0:0:0:0:ffff:a9fe:0101",
  ])("refuses the host %s", (host) => {
    expect(refusedEndpointReason(host)).not.toBeNull();
  });

  it.each(["127.0.0.1", "10.0.0.5", "192.168.1.1", "169.253.1.1", "169.255.0.1", "::1", "fec0::1", "fd00:ec2::253", "s3.amazonaws.com", "minio.lan", "::ffff:10.0.0.1", "64:ff9b::a00:5", "64:ff9b::1:a9fe:a9fe", "not an address"])(
    "allows the host %s",
    (host) => {
      expect(refusedEndpointReason(host)).toBeNull();
    },
  );

  it.each([
    "http://169.254.169.254",
    "http://0xA9FEA9FE",
    "http://2852039166/",
    "http://169.254.10.1:9000",
    "http://[fe80::1]:9000",
    "http://metadata.google.internal",
    "http://[fd00:ec2::254]",
    "http://[::ffff:169.254.169.254]",
    "http://[::ffff:a9fe:a9fe]",
    "http://[64:ff9b::169.254.169.254]",
    "http://[::169.254.169.254]",
  ])(
    "refuses the endpoint %s in any spelling URL parsing accepts, unless allowed",
    async (endpoint) => {
      expect((await errorOf(assertEndpointAllowed({ endpoint }, resolvingTo("10.0.0.1")))).code).toBe("DESTINATION_ENDPOINT_FORBIDDEN");
      await assertEndpointAllowed({ endpoint, allowPrivateEndpoint: true });
    },
  );

  it("refuses a name that resolves to a link-local or metadata address", async () => {
    const err = await errorOf(assertEndpointAllowed({ endpoint: "https://s3.example.test" }, resolvingTo("203.0.113.5", "169.254.169.254")));
    expect(err.code).toBe("DESTINATION_ENDPOINT_FORBIDDEN");
    expect(err.message).toContain("s3.example.test resolves to 169.254.169.254");
    expect((await errorOf(assertEndpointAllowed({ endpoint: "https://s3.example.test" }, resolvingTo("fe80::1")))).code).toBe("DESTINATION_ENDPOINT_FORBIDDEN");
    await assertEndpointAllowed({ endpoint: "https://s3.example.test", allowPrivateEndpoint: true }, resolvingTo("169.254.169.254"));
  });

  it("allows loopback, LAN and public endpoints, and AWS itself (no endpoint)", async () => {
    await assertEndpointAllowed({ endpoint: "http://127.0.0.1:9000" });
    await assertEndpointAllowed({ endpoint: "http://minio.lan:9000" }, resolvingTo("192.168.1.20"));
    await assertEndpointAllowed({});
  });

  it("an unresolvable name is DESTINATION_UNREACHABLE", async () => {
    const err = await errorOf(
      assertEndpointAllowed({ endpoint: "http://nowhere.invalid" }, async () => {
        throw Object.assign(new Error("getaddrinfo ENOTFOUND nowhere.invalid"), { code: "ENOTFOUND" });
      }),
    );
    expect(err.code).toBe("DESTINATION_UNREACHABLE");
  });

  it("the S3 client's own lookups refuse a metadata address at connect time (DNS rebinding)", async () => {
    const lookup = (host: string, all: boolean) =>
      new Promise<unknown>((resolve) => guardedLookup(host, { all }, (err, address) => resolve(err ?? address)));
    expect(await lookup("169.254.169.254", false)).toMatchObject({ code: "EHOLDFAST_ENDPOINT_FORBIDDEN" });
    expect(await lookup("169.254.169.254", true)).toMatchObject({ code: "EHOLDFAST_ENDPOINT_FORBIDDEN" });
    expect(await lookup("127.0.0.1", false)).toBe("127.0.0.1");
    expect(await lookup("127.0.0.1", true)).toEqual([{ address: "127.0.0.1", family: 4 }]);
  });
});
