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

/** Every agent.key under `dir` (the enrollment writes it into a work folder before sending). */
function keyFilesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => path.basename(f) === PRIVATE_KEY_FILE).map((f) => path.join(dir, f));
}

/** What `dir` holds, recursively: names, modes and contents, to compare before and after. */
function listing(dir: string): unknown {
  if (!fs.existsSync(dir)) return null;
  const entries = (fs.readdirSync(dir, { recursive: true }) as string[]).sort().map((name) => {
    const st = fs.lstatSync(path.join(dir, name));
    return { name, mode: (st.mode & 0o777).toString(8), content: st.isFile() ? fs.readFileSync(path.join(dir, name), "utf8") : null };
  });
  return { mode: (fs.statSync(dir).mode & 0o777).toString(8), entries };
}

/** Checks the request the way the control plane must (docs/link.md §1.4) and answers 201 or 401. */
function startFakeEnrollServer(clock: ManualClock) {
  const seen: { keyFileExisted: boolean; body: EnrollRequest }[] = [];
  let dataDirToCheck = "";
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = EnrollRequest.parse(JSON.parse(Buffer.concat(chunks).toString()));
    seen.push({ keyFileExisted: keyFilesUnder(dataDirToCheck).some((f) => (fs.statSync(f).mode & 0o777) === 0o600), body });
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

  it("a refused token leaves no data dir behind when enroll created it (parents included)", async () => {
    const dataDir = path.join(tmp, "created", "nested", "data");
    fake.watch(dataDir);
    const err = await enroll({ dataDir, serverUrl: url, token: "hf_enr_wrongwrongwrongwrong", clock }).catch((e: unknown) => e);
    expect((err as HoldfastError).code).toBe("ENROLLMENT_TOKEN_INVALID");
    // The key existed (0600) while the request was in flight, and nothing is left of it.
    expect(fake.seen.at(-1)?.keyFileExisted).toBe(true);
    expect(fs.existsSync(path.join(tmp, "created"))).toBe(false);
  });

  it("a refused token leaves a data dir that existed exactly as it was: its files, their contents and its mode", async () => {
    const dataDir = path.join(tmp, "existing");
    fs.mkdirSync(dataDir, { mode: 0o750 });
    fs.chmodSync(dataDir, 0o750);
    // What an enrollment interrupted earlier leaves, and a file of the operator's.
    fs.writeFileSync(path.join(dataDir, PRIVATE_KEY_FILE), "old key\n", { mode: 0o600 });
    fs.writeFileSync(path.join(dataDir, "notes.txt"), "mine\n", { mode: 0o644 });
    const before = listing(dataDir);
    const err = await enroll({ dataDir, serverUrl: url, token: "hf_enr_wrongwrongwrongwrong", clock }).catch((e: unknown) => e);
    expect((err as HoldfastError).code).toBe("ENROLLMENT_TOKEN_INVALID");
    expect(listing(dataDir)).toEqual(before);
  });

  it("a control plane that is down, or that never answers, leaves nothing either", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const downUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = path.join(tmp, "down");
    const refused = await enroll({ dataDir: down, serverUrl: downUrl, token: TOKEN, clock }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(fs.existsSync(down)).toBe(false);

    // Accepts the connection and the request, never answers.
    const silent = http.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const mute = path.join(tmp, "mute");
      fs.mkdirSync(mute, { mode: 0o700 });
      const before = listing(mute);
      const timedOut = await enroll({ dataDir: mute, serverUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, token: TOKEN, clock, timeoutMs: 200 }).catch((e: unknown) => e);
      expect((timedOut as Error).message).toMatch(/did not answer within 0.2 s/);
      expect(listing(mute)).toEqual(before);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("a successful enrollment over an interrupted one replaces its key and leaves no work folder", async () => {
    const dataDir = path.join(tmp, "resumed");
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.writeFileSync(path.join(dataDir, PRIVATE_KEY_FILE), "old key\n", { mode: 0o600 });
    fs.mkdirSync(path.join(dataDir, ".enroll-0123456789ab"), { mode: 0o700 });
    fake.watch(dataDir);
    const identity = await enroll({ dataDir, serverUrl: url, token: TOKEN, clock });
    expect(fs.readdirSync(dataDir).sort()).toEqual(["agent.key", "identity.json"]);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(await readIdentity(dataDir)).toEqual(identity);
    expect(identity.keyId).toBe(await calculateJwkThumbprint(fake.seen.at(-1)!.body.publicKeyJwk));
    await expect(readPrivateKey(dataDir)).resolves.toBeDefined();
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
