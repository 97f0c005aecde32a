import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_JWT, AGENT_ROUTES, ENROLL_POP, EnrollRequest, enrollmentTokenHash, HoldfastError } from "@holdfast/shared";
import { makeTempDir, ManualClock } from "../testing/helpers.js";
import { enroll } from "./enroll.js";
import { readIdentity } from "./identity-file.js";
import { generateKeyPair, PRIVATE_KEY_FILE, readPrivateKey } from "./keys.js";
import { signConnectionToken } from "./sign-connection-token.js";

const TOKEN = "hf_enr_ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Checks the request the way the control plane must (docs/link.md §1.4) and answers 201 or 401. */
function startFakeEnrollServer(clock: ManualClock) {
  const seen: { keyFileExisted: boolean; body: EnrollRequest }[] = [];
  let dataDirToCheck = "";
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = EnrollRequest.parse(JSON.parse(Buffer.concat(chunks).toString()));
    seen.push({ keyFileExisted: fs.existsSync(path.join(dataDirToCheck, PRIVATE_KEY_FILE)), body });
    if (req.url !== AGENT_ROUTES.enroll || body.token !== TOKEN) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "ENROLLMENT_TOKEN_INVALID", message: "Unknown, used or expired token", retryable: false, requestId: "req_x" } }));
      return;
    }
    const key = await importJWK(body.publicKeyJwk, "EdDSA");
    const { payload } = await jwtVerify(body.pop, key, { algorithms: ["EdDSA"], typ: ENROLL_POP.typ, audience: ENROLL_POP.audience, currentDate: clock.now() });
    if (payload.tokenHash !== (await enrollmentTokenHash(body.token))) throw new Error("tokenHash mismatch");
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ agentId: "agt_1", keyId: await calculateJwkThumbprint(body.publicKeyJwk), name: body.name ?? body.hostname }));
  });
  return {
    server,
    seen,
    watch(dir: string) {
      dataDirToCheck = dir;
    },
  };
}

describe("enroll", () => {
  const clock = new ManualClock();
  const fake = startFakeEnrollServer(clock);
  let url: string;
  const tmp = makeTempDir("enroll");

  beforeAll(async () => {
    await new Promise<void>((r) => fake.server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/`;
  });
  afterAll(() => {
    fake.server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("writes a 0600 key before sending, proves possession, and saves identity.json", async () => {
    const dataDir = path.join(tmp, "a");
    fake.watch(dataDir);
    const identity = await enroll({ dataDir, serverUrl: url, token: TOKEN, name: "db-1", clock });
    expect(identity).toMatchObject({ agentId: "agt_1", name: "db-1", serverUrl: url.replace(/\/$/, "") });
    expect(fake.seen.at(-1)?.keyFileExisted).toBe(true);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dataDir, PRIVATE_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dataDir, PRIVATE_KEY_FILE), "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(await readIdentity(dataDir)).toEqual(identity);
    // The key on disk is the one the server recorded.
    expect(identity.keyId).toBe(await calculateJwkThumbprint(fake.seen.at(-1)!.body.publicKeyJwk));
    expect(decodeProtectedHeader(fake.seen.at(-1)!.body.pop)).toEqual({ alg: "EdDSA", typ: ENROLL_POP.typ });

    const again = await enroll({ dataDir, serverUrl: url, token: TOKEN, clock }).catch((e: unknown) => e);
    expect((again as HoldfastError).code).toBe("ALREADY_EXISTS");
  });

  it("turns the server's error body into the catalog error and saves no identity", async () => {
    const dataDir = path.join(tmp, "b");
    const err = await enroll({ dataDir, serverUrl: url, token: "hf_enr_wrongwrongwrongwrong", clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).code).toBe("ENROLLMENT_TOKEN_INVALID");
    expect((err as HoldfastError).status).toBe(401);
    expect(fs.existsSync(path.join(dataDir, "identity.json"))).toBe(false);
  });
});

describe("signConnectionToken", () => {
  it("passes the control plane's pinned verification and carries a fresh 128-bit jti each time", async () => {
    const clock = new ManualClock();
    const dir = makeTempDir("sign");
    const { privateKey, publicKey } = await generateKeyPair();
    const { writePrivateKey } = await import("./keys.js");
    await writePrivateKey(dir, privateKey);
    const loaded = await readPrivateKey(dir);
    const ids = { agentId: "agt_9", keyId: "kid_9" };
    const t1 = await signConnectionToken(loaded, ids, clock);
    const t2 = await signConnectionToken(loaded, ids, clock);
    const { payload, protectedHeader } = await jwtVerify(t1, publicKey, {
      algorithms: ["EdDSA"],
      typ: AGENT_JWT.typ,
      audience: AGENT_JWT.audience,
      issuer: "agt_9",
      subject: "agt_9",
      maxTokenAge: "60s",
      requiredClaims: ["jti", "iat", "exp"],
      currentDate: clock.now(),
    });
    expect(protectedHeader).toEqual({ alg: "EdDSA", typ: AGENT_JWT.typ, kid: "kid_9" });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.iat).toBe(Math.floor(clock.now().getTime() / 1000));
    expect(Buffer.from(payload.jti!, "base64url")).toHaveLength(16);
    const { payload: p2 } = await jwtVerify(t2, publicKey, { currentDate: clock.now() });
    expect(p2.jti).not.toBe(payload.jti);
    // 61 s later the token is dead.
    await expect(jwtVerify(t1, publicKey, { currentDate: new Date(clock.now().getTime() + 61_000) })).rejects.toThrow();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
