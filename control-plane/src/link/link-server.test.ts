import { AGENT_JWT, CLOSE_CODES, HoldfastError } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { SignJWT, base64url } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { revokeAgent } from "../agents/revoke-agent.js";
import { connect, connectJwt, FakeAgent, firstFrame, type Identity } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

const code = (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => (e instanceof HoldfastError ? e.code : String(e)));

describe("agent link upgrade authentication", () => {
  let srv: TestServer;
  let agent: Identity;
  let other: Identity;
  beforeAll(async () => {
    srv = await startTestServer("sqlite", { vars: { HOLDFAST_COMMAND_TIMEOUT_MS: "300" } });
    agent = await srv.enroll();
    other = await srv.enroll();
  });
  afterAll(async () => srv.stop());

  it("accepts a valid JWT and sends hello", async () => {
    const r = await connect(srv.url, await connectJwt(agent));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const hello = await firstFrame(r);
    expect(hello).toMatchObject({ type: "hello", protocolVersion: 1, lastAckedSequence: 0 });
    r.ws.terminate();
  });

  it("refuses a replayed JWT (same jti) with 401 and no socket", async () => {
    const jwt = await connectJwt(agent);
    const first = await connect(srv.url, jwt);
    expect(first.ok).toBe(true);
    const replay = await connect(srv.url, jwt);
    expect(replay).toMatchObject({ ok: false, status: 401 });
    if (first.ok) first.ws.terminate();
  });

  it.each([
    ["no token", async () => undefined],
    ["alg none", async () => {
      const iat = Math.floor(Date.now() / 1000);
      const enc = (o: unknown) => base64url.encode(JSON.stringify(o));
      return `${enc({ alg: "none", typ: AGENT_JWT.typ, kid: agent.keyId })}.${enc({ iss: agent.agentId, sub: agent.agentId, aud: AGENT_JWT.audience, iat, exp: iat + 60, jti: "a".repeat(32) })}.`;
    }],
    ["HS256 keyed with the public key", async () => {
      const iat = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: agent.agentId, sub: agent.agentId, aud: AGENT_JWT.audience, iat, exp: iat + 60, jti: "b".repeat(32) })
        .setProtectedHeader({ alg: "HS256", typ: AGENT_JWT.typ, kid: agent.keyId })
        .sign(new TextEncoder().encode(String(agent.key.jwk.x)));
    }],
    ["wrong aud", async () => connectJwt(agent, { claims: { aud: "holdfast-cp:enroll" } })],
    ["wrong typ", async () => connectJwt(agent, { header: { typ: "JWT" } })],
    ["wrong issuer", async () => connectJwt(agent, { claims: { iss: other.agentId } })],
    ["another agent's key", async () => connectJwt(agent, { signWith: other.key })],
    ["unknown kid", async () => connectJwt(agent, { header: { kid: "x".repeat(43) } })],
    ["expired", async () => connectJwt(agent, { iatOffset: -300 })],
    ["no jti", async () => connectJwt(agent, { claims: { jti: undefined } })],
  ])("refuses %s with 401", async (_name, make) => {
    const r = await connect(srv.url, await make());
    expect(r).toMatchObject({ ok: false, status: 401 });
    if (!r.ok) expect(JSON.parse(r.body).error.code).toBe("AGENT_CREDENTIALS_INVALID");
  });

  it("refuses a connection without the holdfast.v1 subprotocol", async () => {
    const r = await connect(srv.url, await connectJwt(agent), "other.v9");
    expect(r).toMatchObject({ ok: false, status: 400 });
  });

  it("refuses a revoked agent with 403, and revoking closes its live socket with 4403", async () => {
    const victim = await srv.agent();
    await revokeAgent(srv.ctx, victim.identity.agentId);
    expect(await victim.waitForClose()).toBe(CLOSE_CODES.revoked);
    const r = await connect(srv.url, await connectJwt(victim.identity));
    expect(r).toMatchObject({ ok: false, status: 403 });
    const { db, t } = srv.ctx.database;
    const row = (await db.select().from(t.agents).where(eq(t.agents.id, victim.identity.agentId)))[0];
    expect(row?.status).toBe("revoked");
  });
});

describe("agent sessions", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer("sqlite", { vars: { HOLDFAST_COMMAND_TIMEOUT_MS: "300", HOLDFAST_HEARTBEAT_MS: "100" } });
  });
  afterAll(async () => srv.stop());

  it("marks the agent online after helloAck and offline when the socket closes", async () => {
    const a = await srv.agent();
    const status = async () => {
      const { db, t } = srv.ctx.database;
      return (await db.select().from(t.agents).where(eq(t.agents.id, a.identity.agentId)))[0]?.status;
    };
    expect(await status()).toBe("online");
    a.close();
    await vi.waitFor(async () => expect(await status()).toBe("offline"));
    expect(srv.ctx.link.isOnline(a.identity.agentId)).toBe(false);
  });

  it("a second session of the same agent closes the first with 4409", async () => {
    const first = await srv.agent();
    const second = await FakeAgent.connect(srv.url, first.identity);
    expect(await first.waitForClose()).toBe(CLOSE_CODES.replaced);
    await vi.waitFor(() => expect(srv.ctx.link.isOnline(first.identity.agentId)).toBe(true));
    second.ws.terminate();
  });

  it("relays command data, the agent's error, a timeout and offline", async () => {
    const a = await srv.agent();
    const id = a.identity.agentId;
    a.handlers.testDatabaseConnection = () => ({ status: 200, data: { ok: true, latencyMs: 3, serverVersion: "16.2", databaseSizeBytes: 1024 } });
    await expect(srv.ctx.link.sendCommand(id, "testDatabaseConnection", { datasourceId: "ds_1" })).resolves.toEqual({
      ok: true,
      latencyMs: 3,
      serverVersion: "16.2",
      databaseSizeBytes: 1024,
    });
    a.handlers.testDatabaseConnection = () => ({ error: { code: "DB_CONNECTION_TEST_FAILED", message: "password authentication failed", retryable: true } });
    const err = await srv.ctx.link.sendCommand(id, "testDatabaseConnection", { datasourceId: "ds_1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).code).toBe("DB_CONNECTION_TEST_FAILED");
    expect((err as HoldfastError).message).toBe("password authentication failed");
    // An answer that breaks the data schema is the agent's fault, not a validation error of the caller.
    a.handlers.testDatabaseConnection = () => ({ status: 200, data: { ok: "yes" } });
    expect(await code(srv.ctx.link.sendCommand(id, "testDatabaseConnection", { datasourceId: "ds_1" }))).toBe("INTERNAL_ERROR");
    a.handlers.testDatabaseConnection = () => new Promise(() => {});
    expect(await code(srv.ctx.link.sendCommand(id, "testDatabaseConnection", { datasourceId: "ds_1" }))).toBe("AGENT_TIMEOUT");
    a.close();
    await vi.waitFor(() => expect(srv.ctx.link.isOnline(id)).toBe(false));
    expect(await code(srv.ctx.link.sendCommand(id, "testDatabaseConnection", { datasourceId: "ds_1" }))).toBe("AGENT_OFFLINE");
  });

  it("rejects a pending command with AGENT_OFFLINE when the socket drops", async () => {
    const a = await srv.agent();
    a.handlers.testDatabaseConnection = () => {
      a.ws.terminate();
      return new Promise(() => {});
    };
    expect(await code(srv.ctx.link.sendCommand(a.identity.agentId, "testDatabaseConnection", { datasourceId: "ds_1" }))).toBe("AGENT_OFFLINE");
  });

  it("terminates a socket that stops answering pings", async () => {
    const a = await srv.agent();
    const r = await connect(srv.url, await connectJwt(a.identity));
    if (!r.ok) throw new Error("refused");
    // ws answers pings by itself; a socket that ignores them is what a dead peer looks like.
    (r.ws as unknown as { _autoPong: boolean })._autoPong = false;
    const closed = await new Promise<number>((resolve) => r.ws.once("close", resolve));
    expect(closed).toBe(1006);
  });

  it("closes the socket on a frame above 1 MiB", async () => {
    const a = await srv.agent();
    a.ws.send("x".repeat(1024 * 1024 + 10));
    expect(await a.waitForClose()).toBe(1009);
  });

  it("stores events, ignores a duplicate eventId and acknowledges cumulatively", async () => {
    const a = await srv.agent();
    const id = a.identity.agentId;
    expect(await a.sendEvent("backupProgress", { step: "dump", bytes: 10, percent: null }, undefined, "evt_one")).toBe(1);
    // A duplicate (same eventId, replayed) is acknowledged but stored once.
    a.send({ type: "backupProgress", eventId: "evt_one", sequence: 1, occurredAt: new Date().toISOString(), data: { step: "dump", bytes: 10, percent: null } });
    // Sequence 3 before 2: the ack holds at 1 until the gap is filled.
    a.send({ type: "backupProgress", eventId: "evt_three", sequence: 3, occurredAt: new Date().toISOString(), data: { step: "dump", bytes: 30, percent: null } });
    const acks = () => a.frames.filter((f) => f.type === "ack").map((f) => f.sequence);
    await vi.waitFor(() => expect(acks()).toEqual([1, 1, 1]));
    a.send({ type: "backupProgress", eventId: "evt_two", sequence: 2, occurredAt: new Date().toISOString(), data: { step: "dump", bytes: 20, percent: null } });
    await vi.waitFor(() => expect(acks()).toEqual([1, 1, 1, 3]));
    const { db, t } = srv.ctx.database;
    expect(await db.select().from(t.agentEvents).where(eq(t.agentEvents.agentId, id))).toHaveLength(3);
    expect((await db.select().from(t.agents).where(eq(t.agents.id, id)))[0]?.lastAckedSequence).toBe(3);
    // A new session starts its replay after the acknowledged sequence.
    a.close();
    const again = await connect(srv.url, await connectJwt(a.identity));
    if (!again.ok) throw new Error("refused");
    const hello = await firstFrame(again);
    expect(hello.lastAckedSequence).toBe(3);
    again.ws.terminate();
  });

  it("does not deliver commands before helloAck", async () => {
    const identity = await srv.enroll();
    const r = await connect(srv.url, await connectJwt(identity));
    if (!r.ok) throw new Error("refused");
    expect(srv.ctx.link.isOnline(identity.agentId)).toBe(false);
    expect(await code(srv.ctx.link.sendCommand(identity.agentId, "capabilities", {}))).toBe("AGENT_OFFLINE");
    r.ws.terminate();
  });
});
