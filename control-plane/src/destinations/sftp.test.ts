import { createHash } from "node:crypto";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { SftpDestinationConfig } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destinationContract, errorOf } from "../testing/destination-contract.js";
import { startSftpServer, type TestSftpServer } from "../testing/sftp-server.js";
import { connectOptions, fingerprintBytes, fingerprintOf } from "./sftp-connection.js";
import { sftpDestination } from "./sftp.js";

describe("sftp destination against OpenSSH sshd", () => {
  let server: TestSftpServer;
  let n = 0;
  beforeAll(async () => {
    server = await startSftpServer();
  }, 30_000);
  afterAll(async () => server?.stop());

  const dest = (extra: Record<string, unknown> = {}) => sftpDestination(SftpDestinationConfig.parse(server.config(extra)));

  destinationContract(() => {
    const path = join(server.root, `contract-${n++}`);
    return {
      dest: () => dest({ path }),
      knowsFreeSpace: true,
      rawNames: async () => (await readdir(path, { recursive: true }).catch(() => [])).map(String),
    };
  });

  it("refuses to connect to a server whose host key is not the configured one", async () => {
    const wrong = `SHA256:${createHash("sha256").update("another server").digest("base64").replace(/=+$/, "")}`;
    const d = dest({ hostKeySha256: wrong });
    const err = await errorOf(d.put(Readable.from([Buffer.from("x")]), "x.bin"));
    expect(err).toMatchObject({ code: "DESTINATION_HOST_KEY_MISMATCH", retryable: false });
    expect(err.details?.presented).toBe(server.hostKeySha256);
    expect((await errorOf(d.test())).code).toBe("DESTINATION_HOST_KEY_MISMATCH");
    expect(await readdir(server.root)).not.toContain("x.bin");
  });

  it("accepts the fingerprint as hex too", async () => {
    const hex = fingerprintBytes(server.hostKeySha256).toString("hex");
    expect((await dest({ hostKeySha256: `sha256:${hex}` }).test()).ok).toBe(true);
    expect((await dest({ hostKeySha256: hex }).test()).ok).toBe(true);
  });

  it("refuses an unknown key or a wrong password with DESTINATION_AUTH_FAILED", async () => {
    expect((await errorOf(dest({ privateKey: server.unknownPrivateKey }).test())).code).toBe("DESTINATION_AUTH_FAILED");
    const { privateKey: _key, ...withoutKey } = server.config();
    const byPassword = sftpDestination(SftpDestinationConfig.parse({ ...withoutKey, password: "not the password" }));
    expect((await errorOf(byPassword.list(""))).code).toBe("DESTINATION_AUTH_FAILED");
  });

  it("a server that is not there is DESTINATION_UNREACHABLE (retryable)", async () => {
    const err = await errorOf(dest({ port: 9 }).stat("x.bin"));
    expect(err).toMatchObject({ code: "DESTINATION_UNREACHABLE", retryable: true });
  });

  it("a folder the account may not write is DESTINATION_REFUSED", async () => {
    // /proc refuses new entries even to root.
    const err = await errorOf(dest({ path: "/proc/holdfast-test" }).put(Readable.from([Buffer.from("x")]), "x.bin"));
    expect(["DESTINATION_REFUSED", "DELIVERY_FAILED"]).toContain(err.code);
  });

  it("creates the destination folder on first write", async () => {
    const path = join(server.root, "deep", "er");
    await dest({ path }).put(Readable.from([Buffer.from("abc")]), "ds/2026/x.bin");
    expect(await readdir(join(path, "ds", "2026"))).toEqual(["x.bin"]);
    await mkdir(join(server.root, "exists"), { recursive: true });
    await dest({ path: join(server.root, "exists") }).put(Readable.from([Buffer.from("abc")]), "x.bin");
  });
});

describe("sftp connection options", () => {
  const base = { host: "h", port: 22, username: "u", hostKeySha256: `SHA256:${"A".repeat(43)}`, path: "/srv" };
  const verify = () => true;

  it("sends only the configured secrets, never an agent or a keyboard prompt", () => {
    const byPassword = connectOptions(SftpDestinationConfig.parse({ ...base, password: "pw" }), verify);
    expect(byPassword).toMatchObject({ host: "h", port: 22, username: "u", password: "pw", tryKeyboard: false });
    expect(byPassword).not.toHaveProperty("privateKey");
    expect(byPassword).not.toHaveProperty("agent");
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n";
    const byKey = connectOptions(SftpDestinationConfig.parse({ ...base, privateKey: key }), verify);
    expect(byKey).toMatchObject({ privateKey: key });
    expect(byKey).not.toHaveProperty("password");
    expect(byKey.hostVerifier).toBe(verify);
  });

  it("needs a password or a private key, and a fingerprint in a known format", () => {
    expect(SftpDestinationConfig.safeParse(base).success).toBe(false);
    expect(SftpDestinationConfig.safeParse({ ...base, password: "pw", hostKeySha256: "md5:aa" }).success).toBe(false);
    expect(SftpDestinationConfig.safeParse({ ...base, password: "********" }).success).toBe(false);
  });

  it("reads fingerprints in OpenSSH and hex notation alike", () => {
    const blob = Buffer.from("a host key blob");
    const openssh = fingerprintOf(blob);
    expect(openssh).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const bytes = fingerprintBytes(openssh);
    expect(bytes).toEqual(createHash("sha256").update(blob).digest());
    expect(fingerprintBytes(bytes.toString("hex"))).toEqual(bytes);
  });
});
