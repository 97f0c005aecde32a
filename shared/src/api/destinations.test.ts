import { describe, expect, it } from "vitest";
import { REDACTED } from "../protocol/datasource.js";
import { parseOrThrow } from "../errors.js";
import { CreateDestinationBody, maskDestinationSecrets, refusedEndpointName, S3DestinationConfig, UpdateDestinationBody } from "./destinations.js";

describe("refusedEndpointName", () => {
  it.each(["metadata.google.internal", "METADATA.GOOGLE.INTERNAL.", "[metadata.google.internal]"])("refuses %s", (host) => {
    expect(refusedEndpointName(host)).not.toBeNull();
  });

  // Addresses are the control plane's to judge (net.BlockList): the name alone says nothing here.
  it.each(["s3.amazonaws.com", "minio.lan", "169.254.169.254", "fd00:ec2::254", "metadata.google.internal.example"])("leaves %s to the control plane", (host) => {
    expect(refusedEndpointName(host)).toBeNull();
  });
});

describe("destination schemas", () => {
  const s3 = { bucket: "backups", accessKeyId: "AKIA", secretAccessKey: "secret" };

  it("refuses a metadata service's name as endpoint unless allowed; addresses pass to the control plane's check", () => {
    expect(S3DestinationConfig.safeParse({ ...s3, endpoint: "https://metadata.google.internal/" }).success).toBe(false);
    expect(S3DestinationConfig.safeParse({ ...s3, endpoint: "https://metadata.google.internal/", allowPrivateEndpoint: true }).success).toBe(true);
    expect(S3DestinationConfig.safeParse({ ...s3, endpoint: "http://169.254.169.254" }).success).toBe(true);
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

  it("takes an Object Lock mode and a whole number of days, and names the field of each mistake", () => {
    const body = (objectLock: unknown) => ({ name: "d", type: "s3", config: { ...s3, objectLock } });
    expect(CreateDestinationBody.parse(body({ mode: "COMPLIANCE", days: 30 })).config).toMatchObject({ objectLock: { mode: "COMPLIANCE", days: 30 } });
    const refused = (objectLock: unknown) => {
      try {
        parseOrThrow(CreateDestinationBody, body(objectLock), "destination");
      } catch (err) {
        return (err as { code: string; details: { issues: { path: string; message: string }[] } });
      }
      throw new Error("expected a refusal");
    };
    expect(refused({ mode: "governance", days: 30 }).details.issues).toEqual([{ path: "config.objectLock.mode", message: 'must be GOVERNANCE or COMPLIANCE, not "governance"' }]);
    expect(refused({ mode: "GOVERNANCE", days: 0 }).details.issues).toEqual([{ path: "config.objectLock.days", message: "must be at least 1 day" }]);
    expect(refused({ mode: "GOVERNANCE", days: 1.5 }).details.issues).toEqual([{ path: "config.objectLock.days", message: "must be a whole number of days" }]);
    expect(refused({ mode: "GOVERNANCE", days: 36_501 }).details.issues[0]!.path).toBe("config.objectLock.days");
    expect(refused({ mode: "GOVERNANCE" }).details.issues[0]!.path).toBe("config.objectLock.days");
    expect(refused({ mode: "GOVERNANCE", days: 1, years: 1 }).code).toBe("VALIDATION_FAILED");
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
