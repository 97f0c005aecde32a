import { describe, expect, it } from "vitest";
import { REDACTED } from "../protocol/datasource.js";
import { CreateDestinationBody, maskDestinationSecrets, refusedEndpointReason, S3DestinationConfig, UpdateDestinationBody } from "./destinations.js";

describe("refusedEndpointReason", () => {
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
    "::ffff:169.254.169.254",
    "[::ffff:a9fe:a9fe]",
  ])("refuses %s", (host) => {
    expect(refusedEndpointReason(host)).not.toBeNull();
  });

  it.each(["127.0.0.1", "10.0.0.5", "192.168.1.1", "169.253.1.1", "169.255.0.1", "::1", "fec0::1", "fd00:ec2::253", "s3.amazonaws.com", "minio.lan", "::ffff:10.0.0.1", "not an address"])(
    "allows %s",
    (host) => {
      expect(refusedEndpointReason(host)).toBeNull();
    },
  );
});

describe("destination schemas", () => {
  const s3 = { bucket: "backups", accessKeyId: "AKIA", secretAccessKey: "secret" };

  it("refuses link-local and metadata endpoints in any spelling URL parsing accepts, unless allowed", () => {
    for (const endpoint of ["http://169.254.169.254", "http://0xA9FEA9FE", "http://2852039166/", "http://[fe80::1]:9000", "https://metadata.google.internal/"]) {
      expect(S3DestinationConfig.safeParse({ ...s3, endpoint }).success, endpoint).toBe(false);
      expect(S3DestinationConfig.safeParse({ ...s3, endpoint, allowPrivateEndpoint: true }).success, endpoint).toBe(true);
    }
    expect(S3DestinationConfig.safeParse({ ...s3, endpoint: "ftp://minio" }).success).toBe(false);
    expect(S3DestinationConfig.parse({ ...s3, endpoint: "http://127.0.0.1:9000" })).toMatchObject({ region: "us-east-1", prefix: "", forcePathStyle: false });
  });

  it("discriminates on type and refuses the mask as a secret", () => {
    expect(CreateDestinationBody.parse({ name: "d", type: "local", config: { path: "/srv/b" }, isDefault: true }).type).toBe("local");
    expect(CreateDestinationBody.safeParse({ name: "d", type: "s3", config: { path: "/srv/b" } }).success).toBe(false);
    expect(CreateDestinationBody.safeParse({ name: "d", type: "s3", config: { ...s3, secretAccessKey: REDACTED } }).success).toBe(false);
    expect(CreateDestinationBody.safeParse({ name: "d", type: "s3", config: { ...s3, prefix: "a/../b" } }).success).toBe(false);
    expect(CreateDestinationBody.safeParse({ name: "d", type: "local", config: { path: "/x" }, maxSizeGb: 0 }).success).toBe(false);
  });

  it("masks each secret present and nothing else", () => {
    expect(maskDestinationSecrets("sftp", { host: "h", password: "pw" })).toEqual({ host: "h", password: REDACTED });
    expect(maskDestinationSecrets("s3", { ...s3 })).toEqual({ ...s3, secretAccessKey: REDACTED });
    expect(maskDestinationSecrets("local", { path: "/p" })).toEqual({ path: "/p" });
  });

  it("an update must change something and may clear the quota", () => {
    expect(UpdateDestinationBody.safeParse({}).success).toBe(false);
    expect(UpdateDestinationBody.parse({ maxSizeGb: null })).toEqual({ maxSizeGb: null });
  });
});
