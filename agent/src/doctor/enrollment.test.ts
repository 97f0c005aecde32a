import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IDENTITY_FILE, writeIdentity } from "../identity/identity-file.js";
import { generateKeyPair, PRIVATE_KEY_FILE, writePrivateKey } from "../identity/keys.js";
import { makeTempDir } from "../testing/helpers.js";
import { checkEnrollment } from "./enrollment.js";

describe("checkEnrollment", () => {
  let dir: string;
  beforeEach(async () => {
    dir = makeTempDir("doctor-enroll");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function enrolled() {
    await writeIdentity(dir, { agentId: "agt_1", keyId: "k1", name: "db-1", serverUrl: "https://cp.example.com", pins: [], insecure: false });
    await writePrivateKey(dir, (await generateKeyPair()).privateKey);
  }

  it("fails a host with no identity and says how to enroll", async () => {
    const r = await checkEnrollment(dir);
    expect(r.identity).toBeNull();
    expect(r.findings).toEqual([{ check: "enrollment", status: "fail", summary: `not enrolled: no ${IDENTITY_FILE} in ${dir}`, fix: expect.stringContaining("holdfast-agent enroll") }]);
  });

  it("passes an enrolled host whose key is 0600", async () => {
    await enrolled();
    const r = await checkEnrollment(dir);
    expect(r.identity?.agentId).toBe("agt_1");
    expect(r.findings.map((f) => f.status)).toEqual(["ok"]);
  });

  it("fails a private key others can read, with the chmod", async () => {
    await enrolled();
    const key = path.join(dir, PRIVATE_KEY_FILE);
    fs.chmodSync(key, 0o644);
    expect((await checkEnrollment(dir)).findings).toContainEqual({ check: "enrollment", status: "fail", summary: `the private key file ${key} has mode 0644`, fix: `chmod 0600 ${key}` });
  });

  it("fails an enrolled identity whose key file is gone", async () => {
    await enrolled();
    fs.rmSync(path.join(dir, PRIVATE_KEY_FILE));
    expect((await checkEnrollment(dir)).findings).toContainEqual(expect.objectContaining({ status: "fail", summary: expect.stringContaining("private key file") }));
  });
});
