import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { issueSetupToken } from "./setup-token.js";

const PASSWORD = "the first admin's password";

describe.each(DIALECTS)("first admin setup on %s", (dialect) => {
  let srv: TestServer;
  let token: string;
  let logged = "";

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += String(chunk);
        done();
      },
    });
    srv = await startTestServer(dialect, { scheduler: false, logger: pino({ level: "trace" }, sink) });
    token = new URL(srv.setupUrl!).hash.replace(/^#token=/, "");
  });
  afterAll(async () => srv?.stop());

  const setup = (body: Record<string, unknown>) => srv.api("/api/v1/setup", { method: "POST", json: body });
  const users = async () => srv.ctx.database.db.select().from(srv.ctx.database.t.users);
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  it("offers a setup URL with the token in its fragment while no user exists, stored only as a hash, never logged", async () => {
    expect(srv.setupUrl).toBe(`${srv.url}/setup#token=${token}`);
    expect(token).toMatch(/^hf_setup_[A-Za-z0-9_-]{43}$/);
    const rows = await srv.ctx.database.db.select().from(srv.ctx.database.t.setupTokens);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).not.toContain(token);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged).not.toContain(token);
    expect(await (await srv.api("/api/v1/setup")).json()).toEqual({ needed: true });
  });

  it("opens the console's setup page at the setup link's path, which tells no other site where it was", async () => {
    const res = await fetch(`${srv.url}/setup`, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self';");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("refuses a setup without a token, with a wrong token, or with a short password, and creates nothing", async () => {
    const missing = await setup({ email: "admin@example.com", password: PASSWORD });
    expect(missing.status).toBe(400);
    expect(await errorOf(missing)).toMatchObject({ code: "VALIDATION_FAILED", message: expect.stringContaining("token: is required: the token of the setup URL") });

    const wrong = await setup({ token: "hf_setup_not-the-one", email: "admin@example.com", password: PASSWORD });
    expect(wrong.status).toBe(401);
    expect(await errorOf(wrong)).toMatchObject({ code: "SETUP_TOKEN_INVALID", message: expect.stringContaining("latest `holdfast serve`") });

    const short = await setup({ token, email: "admin@example.com", password: "short" });
    expect(short.status).toBe(400);
    expect((await errorOf(short)).message).toContain("password: must be at least 12 characters");

    expect(await users()).toEqual([]);
  });

  it("creates exactly one admin when two setups race with the token; the other is told setup is done", async () => {
    const [a, b] = await Promise.all([
      setup({ token, email: "first@example.com", password: PASSWORD }),
      setup({ token, email: "second@example.com", password: PASSWORD }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const winner = a.status === 201 ? a : b;
    const loser = a.status === 201 ? b : a;
    expect(await winner.json()).toMatchObject({ user: { role: "admin" } });
    expect((await errorOf(loser)).code).toBe("SETUP_ALREADY_DONE");
    const all = await users();
    expect(all).toHaveLength(1);
    expect(all[0]!.role).toBe("admin");
    expect(await srv.ctx.database.db.select().from(srv.ctx.database.t.setupTokens), "the token is gone").toEqual([]);
  });

  it("answers 409 SETUP_ALREADY_DONE for ever after, whatever the token, and says no setup is needed", async () => {
    for (const t of [token, "hf_setup_other", "x"]) {
      const res = await setup({ token: t, email: "late@example.com", password: PASSWORD });
      expect(res.status).toBe(409);
      expect(await errorOf(res)).toMatchObject({ code: "SETUP_ALREADY_DONE", message: expect.stringContaining("sign in") });
    }
    expect(await users()).toHaveLength(1);
    expect(await (await srv.api("/api/v1/setup")).json()).toEqual({ needed: false });
  });

  it("lets the admin it created sign in", async () => {
    const [admin] = await users();
    const res = await srv.api("/api/v1/session", { method: "POST", json: { email: admin!.email, password: PASSWORD } });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ user: { role: "admin" } });
  });

  it("issues no setup token once a user exists, and removes any left", async () => {
    expect(await issueSetupToken(srv.ctx)).toBeNull();
    expect(await srv.ctx.database.db.select().from(srv.ctx.database.t.setupTokens)).toEqual([]);
  });
});

describe("a setup token is replaced at each start while no user exists", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
  });
  afterAll(async () => srv?.stop());

  it("refuses the previous start's token", async () => {
    const first = new URL(srv.setupUrl!).hash.replace(/^#token=/, "");
    const second = await issueSetupToken(srv.ctx);
    expect(second).not.toBe(first);
    const old = await srv.api("/api/v1/setup", { method: "POST", json: { token: first, email: "a@example.com", password: PASSWORD } });
    expect(old.status).toBe(401);
    const current = await srv.api("/api/v1/setup", { method: "POST", json: { token: second, email: "a@example.com", password: PASSWORD } });
    expect(current.status).toBe(201);
  });

  it("prints no setup URL when a user exists at start", async () => {
    await srv.close();
    const { startServer } = await import("../server.js");
    const again = await startServer(srv.ctx.env, { quiet: true, scheduler: false, logger: pino({ level: "silent" }) });
    try {
      expect(again.setupUrl).toBeUndefined();
    } finally {
      await again.close();
    }
  });
});
