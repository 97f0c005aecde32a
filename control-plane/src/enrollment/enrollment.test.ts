import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HoldfastError, parseOrThrow, EnrollRequest } from "@holdfast/shared";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { enrollBody, newAgentKey, signPop } from "../testing/fake-agent.js";
import { createEnrollmentToken, enrollAgent, enrollCommands, listPendingEnrollmentTokens, parseTtl, revokeEnrollmentToken } from "./index.js";

const code = (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => (e instanceof HoldfastError ? e.code : String(e)));

async function request(token: string, opts: { popFor?: string; claims?: Record<string, unknown>; header?: Record<string, unknown> } = {}) {
  const key = await newAgentKey();
  const pop = await signPop(key, opts.popFor ?? token, opts.claims, opts.header);
  return parseOrThrow(EnrollRequest, enrollBody(key, token, pop));
}

describe.each(DIALECTS)("enrollment on %s", (dialect) => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
  });
  afterAll(async () => tdb.cleanup());

  it("enrolls an agent with a valid token and pop, keyed by the JWK thumbprint", async () => {
    const { token } = await createEnrollmentToken(tdb.ctx);
    expect(token).toMatch(/^hf_enr_[a-z2-7]{52}$/);
    const res = await enrollAgent(tdb.ctx, await request(token));
    expect(res.agentId).toMatch(/^agt_/);
    expect(res.keyId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.name).toBe("db-host-1");
    const { db, t } = tdb.database;
    const row = (await db.select().from(t.enrollmentTokens).where(eq(t.enrollmentTokens.usedByAgentId, res.agentId)))[0];
    expect(row?.usedAt).not.toBeNull();
    expect(row?.tokenHash).not.toBe(token);
  });

  it("refuses a token that was already used", async () => {
    const { token } = await createEnrollmentToken(tdb.ctx);
    await enrollAgent(tdb.ctx, await request(token));
    expect(await code(enrollAgent(tdb.ctx, await request(token)))).toBe("ENROLLMENT_TOKEN_INVALID");
  });

  it("lets exactly one of 20 parallel enrollments with one token win", async () => {
    const { token } = await createEnrollmentToken(tdb.ctx);
    const requests = await Promise.all(Array.from({ length: 20 }, () => request(token)));
    const outcomes = await Promise.all(requests.map((r) => code(enrollAgent(tdb.ctx, r))));
    expect(outcomes.filter((o) => o === "resolved")).toHaveLength(1);
    expect(outcomes.filter((o) => o === "ENROLLMENT_TOKEN_INVALID")).toHaveLength(19);
  });

  it("refuses an expired token", async () => {
    const { token } = await createEnrollmentToken({ ...tdb.ctx, clock: { ...tdb.ctx.clock, now: () => new Date(Date.now() - 16 * 60_000) } });
    expect(await code(enrollAgent(tdb.ctx, await request(token)))).toBe("ENROLLMENT_TOKEN_INVALID");
  });

  it("refuses an unknown token", async () => {
    expect(await code(enrollAgent(tdb.ctx, await request("hf_enr_thisisnotatokenthatexists")))).toBe("ENROLLMENT_TOKEN_INVALID");
  });

  it("refuses a bad pop without burning the token", async () => {
    const { token } = await createEnrollmentToken(tdb.ctx);
    // Signed over another token's hash.
    expect(await code(enrollAgent(tdb.ctx, await request(token, { popFor: "hf_enr_someothertoken000000" })))).toBe("AGENT_CREDENTIALS_INVALID");
    // Wrong audience / wrong typ.
    expect(await code(enrollAgent(tdb.ctx, await request(token, { claims: { aud: "holdfast-cp:ws" } })))).toBe("AGENT_CREDENTIALS_INVALID");
    expect(await code(enrollAgent(tdb.ctx, await request(token, { header: { typ: "JWT" } })))).toBe("AGENT_CREDENTIALS_INVALID");
    // Signed by a different key than the one presented.
    const other = await newAgentKey();
    const key = await newAgentKey();
    const forged = parseOrThrow(EnrollRequest, enrollBody(key, token, await signPop(other, token)));
    expect(await code(enrollAgent(tdb.ctx, forged))).toBe("AGENT_CREDENTIALS_INVALID");
    // The token is still good.
    await expect(enrollAgent(tdb.ctx, await request(token))).resolves.toMatchObject({ name: "db-host-1" });
  });

  it("refuses to enroll the same key twice and releases the token", async () => {
    const key = await newAgentKey();
    const first = await createEnrollmentToken(tdb.ctx);
    await enrollAgent(tdb.ctx, parseOrThrow(EnrollRequest, enrollBody(key, first.token, await signPop(key, first.token))));
    const second = await createEnrollmentToken(tdb.ctx);
    const again = parseOrThrow(EnrollRequest, enrollBody(key, second.token, await signPop(key, second.token)));
    expect(await code(enrollAgent(tdb.ctx, again))).toBe("ALREADY_EXISTS");
    await expect(enrollAgent(tdb.ctx, await request(second.token))).resolves.toBeDefined();
  });
});

describe.each(DIALECTS)("pending enrollment tokens on %s", (dialect) => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
  });
  afterAll(async () => tdb.cleanup());

  it("lists the unused, unrevoked, unexpired tokens without their secret; a revoked one no longer enrolls", async () => {
    const kept = await createEnrollmentToken(tdb.ctx, { name: "db-7", createdBy: "root@example.com" });
    const revoked = await createEnrollmentToken(tdb.ctx, { name: "typo" });
    const used = await createEnrollmentToken(tdb.ctx);
    const { agentId } = await enrollAgent(tdb.ctx, await request(used.token));
    await createEnrollmentToken({ ...tdb.ctx, clock: { ...tdb.ctx.clock, now: () => new Date(Date.now() - 16 * 60_000) } });

    await revokeEnrollmentToken(tdb.ctx, revoked.id);
    const pending = await listPendingEnrollmentTokens(tdb.ctx);
    expect(pending).toEqual([{ id: kept.id, name: "db-7", createdBy: "root@example.com", createdAt: expect.any(String), expiresAt: kept.expiresAt.toISOString() }]);
    expect(await code(enrollAgent(tdb.ctx, await request(revoked.token)))).toBe("ENROLLMENT_TOKEN_INVALID");

    expect(await code(revokeEnrollmentToken(tdb.ctx, revoked.id))).toBe("ENROLLMENT_TOKEN_NOT_FOUND");
    expect(await code(revokeEnrollmentToken(tdb.ctx, "tok_nothing"))).toBe("ENROLLMENT_TOKEN_NOT_FOUND");
    const refusal = await revokeEnrollmentToken(tdb.ctx, used.id).catch((e: unknown) => e as HoldfastError);
    expect(refusal).toMatchObject({ code: "ENROLLMENT_TOKEN_USED", details: { agentId } });
    // The kept token still enrolls.
    await expect(enrollAgent(tdb.ctx, await request(kept.token))).resolves.toMatchObject({ name: "db-host-1" });
  });
});

describe("enrollCommands", () => {
  const token = "hf_enr_abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst";
  const caPin = `sha256:${"A".repeat(43)}=`;

  it("puts the token in the environment, never in argv, and quotes what a shell would glob", () => {
    const { install, enroll, warning } = enrollCommands("https://[::1]:8443", token);
    expect(enroll.argv).toEqual(["holdfast-agent", "enroll", "--server", "https://[::1]:8443", "--data-dir", "/var/lib/holdfast-agent"]);
    expect(enroll.env).toEqual({ HOLDFAST_ENROLL_TOKEN: token });
    expect(enroll.shell).toBe(`HOLDFAST_ENROLL_TOKEN=${token} holdfast-agent enroll --server 'https://[::1]:8443' --data-dir /var/lib/holdfast-agent`);
    // No pin known over https: the system CAs decide, no --pinnedpubkey, no -k.
    expect(install.shell).toBe(
      `curl -fsSL 'https://[::1]:8443/install/agent.sh' -o install.sh && HOLDFAST_ENROLL_TOKEN=${token} sudo --preserve-env=HOLDFAST_ENROLL_TOKEN sh install.sh --server 'https://[::1]:8443'`,
    );
    expect(warning).toBeUndefined();
    for (const argv of [install.argv, install.download, enroll.argv]) expect(argv.join(" ")).not.toContain(token);
  });

  it("pins the download and the enrollment: curl the leaf (it checks no other), the agent each --ca-pin", () => {
    const { install, enroll } = enrollCommands("https://cp.example:8443", token, { caPins: [caPin], curlPins: `sha256//${"B".repeat(43)}=` });
    expect(install.download).toEqual(["curl", "-fsSL", "-k", "--pinnedpubkey", `sha256//${"B".repeat(43)}=`, "https://cp.example:8443/install/agent.sh", "-o", "install.sh"]);
    // The script's own curl checks the leaf's key only: it gets the leaf's pin beside the CA's.
    expect(install.argv).toEqual(["sudo", "--preserve-env=HOLDFAST_ENROLL_TOKEN", "sh", "install.sh", "--server", "https://cp.example:8443", "--ca-pin", caPin, "--ca-pin", `sha256:${"B".repeat(43)}=`]);
    expect(install.shell).toBe(
      `curl -fsSL -k --pinnedpubkey sha256//${"B".repeat(43)}= https://cp.example:8443/install/agent.sh -o install.sh && HOLDFAST_ENROLL_TOKEN=${token} sudo --preserve-env=HOLDFAST_ENROLL_TOKEN sh install.sh --server https://cp.example:8443 --ca-pin ${caPin} --ca-pin sha256:${"B".repeat(43)}=`,
    );
    expect(enroll.argv).toEqual(["holdfast-agent", "enroll", "--server", "https://cp.example:8443", "--ca-pin", caPin, "--data-dir", "/var/lib/holdfast-agent"]);
  });

  it("plain http to another host says so: --insecure in the commands and a warning; loopback needs neither", () => {
    const remote = enrollCommands("http://10.0.0.5:8080", token, { caPins: [caPin], curlPins: null });
    expect(remote.warning).toMatch(/plain http/);
    expect(remote.install.argv).toEqual(["sudo", "--preserve-env=HOLDFAST_ENROLL_TOKEN", "sh", "install.sh", "--server", "http://10.0.0.5:8080", "--insecure"]);
    expect(remote.enroll.argv).toContain("--insecure");
    const local = enrollCommands("http://127.0.0.1:8080", token);
    expect(local.warning).toBeUndefined();
    expect(local.enroll.argv).not.toContain("--insecure");
  });
});

describe("parseTtl", () => {
  it("reads s, m and h and refuses more than 24 h", () => {
    expect(parseTtl("15m")).toBe(900_000);
    expect(parseTtl("24h")).toBe(86_400_000);
    expect(parseTtl("90s")).toBe(90_000);
    expect(() => parseTtl("25h")).toThrow(HoldfastError);
    expect(() => parseTtl("0m")).toThrow(HoldfastError);
    expect(() => parseTtl("15")).toThrow(HoldfastError);
  });
});
