import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../crypto.js";
import { Browser } from "../testing/browser.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { TestClock } from "../testing/test-clock.js";
import { createUser } from "../users/create-user.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const PASSWORD = "a long enough password";

type ErrorAnswer = { error: { code: string; message: string } };
const errorOf = async (res: Response) => ((await res.json()) as ErrorAnswer).error;

describe.each(DIALECTS)("browser sessions on %s", (dialect) => {
  let srv: TestServer;
  let folder: string;
  const clock = new TestClock();

  beforeAll(async () => {
    srv = await startTestServer(dialect, { scheduler: false, clock });
    folder = await mkdtemp(join(tmpdir(), "holdfast-sessions-"));
    await createUser(srv.ctx, { email: "ops@example.com", role: "operator", password: PASSWORD });
  });
  afterAll(async () => {
    await srv?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  const signedIn = async () => {
    const browser = new Browser(srv.url);
    expect((await browser.signIn("ops@example.com", PASSWORD)).status).toBe(201);
    return browser;
  };
  const sessionRows = async () => srv.ctx.database.db.select().from(srv.ctx.database.t.sessions);

  it("signs in with e-mail and password: an httpOnly, SameSite=Strict cookie (not Secure over plain HTTP) and what a console needs", async () => {
    const browser = new Browser(srv.url);
    const { status, body } = await browser.signIn("OPS@example.com", PASSWORD);
    expect(status).toBe(201);
    expect(body).toMatchObject({ signedIn: true, via: "session", user: { email: "ops@example.com", role: "operator" } });
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(body.expiresAt) - clock.t).toBe(srv.ctx.env.sessionIdleMs);
    expect(Date.parse(body.maxExpiresAt) - clock.t).toBe(24 * HOUR);

    const cookie = browser.lastSetCookie!;
    expect(cookie.name).toBe("holdfast_session");
    expect(cookie.value).toMatch(/^hf_ses_/);
    expect(cookie.attributes.has("httponly")).toBe(true);
    expect(cookie.attributes.get("samesite")).toBe("Strict");
    expect(cookie.attributes.get("path")).toBe("/");
    expect(cookie.attributes.get("max-age")).toBe(String(24 * 3600));
    expect(cookie.attributes.has("secure")).toBe(false);

    // Stored only as a hash.
    const rows = await sessionRows();
    expect(rows.some((r) => r.tokenHash === cookie.value || r.tokenHash.includes(cookie.value))).toBe(false);

    const who = await browser.fetch("/api/v1/session");
    expect(await who.json()).toEqual(body);
  });

  it("records every sign-in in the audit log, a refused one without the typed e-mail or any password", async () => {
    const { db, t } = srv.ctx.database;
    const before = (await db.select().from(t.auditLog)).length;
    expect((await new Browser(srv.url).signIn("ops@example.com", "not the password at all")).status).toBe(401);
    expect((await new Browser(srv.url).signIn("nobody-here@example.com", "not the password at all")).status).toBe(401);
    expect((await new Browser(srv.url).signIn("ops@example.com", PASSWORD)).status).toBe(201);
    const rows = (await db.select().from(t.auditLog)).slice(before).filter((r) => r.action === "session.signIn");
    const [user] = await db.select().from(t.users).where(eq(t.users.email, "ops@example.com"));
    expect(rows.map((r) => ({ actor: r.actorUserId, target: JSON.parse(r.target), status: r.status, code: r.errorCode }))).toEqual([
      { actor: null, target: { userId: user!.id }, status: 401, code: "INVALID_CREDENTIALS" },
      { actor: null, target: {}, status: 401, code: "INVALID_CREDENTIALS" },
      { actor: user!.id, target: {}, status: 201, code: null },
    ]);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain("nobody-here");
    expect(stored).not.toContain("not the password");
    expect(stored).not.toContain(PASSWORD);
  });

  it("says nobody is signed in without credentials, and names the token's user with one", async () => {
    expect(await (await new Browser(srv.url).fetch("/api/v1/session")).json()).toEqual({ signedIn: false });
    const token = await srv.token("viewer");
    const res = await new Browser(srv.url, { authorization: `Bearer ${token}` }).fetch("/api/v1/session");
    expect(await res.json()).toMatchObject({ signedIn: true, via: "token", user: { email: "viewer@test.local", role: "viewer" } });
  });

  it("reads with the cookie alone; changes only with the CSRF token, and changes nothing without it", async () => {
    const browser = await signedIn();
    expect((await browser.fetch("/api/v1/destinations")).status).toBe(200);
    const create = (csrf: boolean | string, headers: Record<string, string> = {}) =>
      browser.fetch("/api/v1/destinations", { method: "POST", json: { name: `here-${Math.random()}`, type: "local", config: { path: folder } }, csrf, headers });
    const count = async () => ((await (await browser.fetch("/api/v1/destinations")).json()) as { items: unknown[] }).items.length;
    const before = await count();

    const missing = await create(false);
    expect(missing.status).toBe(403);
    const missingError = await errorOf(missing);
    expect(missingError.code).toBe("CSRF_CHECK_FAILED");
    expect(missingError.message).toContain("Send the X-CSRF-Token header");

    const wrong = await create("x".repeat(43));
    expect(wrong.status).toBe(403);
    expect(await errorOf(wrong)).toMatchObject({ code: "CSRF_CHECK_FAILED", message: expect.stringContaining("is not this session's token") });

    const crossSite = await create(true, { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect((await errorOf(crossSite)).message).toContain("from another site");

    // Another session's token is not this one's.
    const other = await signedIn();
    expect((await create(other.csrfToken!)).status).toBe(403);
    expect(await count()).toBe(before);

    const made = await create(true, { "sec-fetch-site": "same-origin" });
    expect(made.status, JSON.stringify(await made.clone().json())).toBe(201);
    expect(await count()).toBe(before + 1);
  });

  it("lets a bearer token change things without any CSRF token", async () => {
    const res = await srv.api("/api/v1/destinations", { method: "POST", token: await srv.token("operator"), json: { name: "by-token", type: "local", config: { path: folder } } });
    expect(res.status).toBe(201);
  });

  it("signs out: the row is deleted, the cookie cleared, the old cookie refused; not without the CSRF token", async () => {
    const browser = await signedIn();
    const kept = { ...browser.cookie! };
    const noCsrf = await browser.fetch("/api/v1/session", { method: "DELETE" });
    expect(noCsrf.status).toBe(403);
    expect((await (await browser.fetch("/api/v1/session")).json()) as { signedIn: boolean }).toMatchObject({ signedIn: true });

    const rowsBefore = (await sessionRows()).length;
    const out = await browser.fetch("/api/v1/session", { method: "DELETE", csrf: true });
    expect(out.status).toBe(204);
    expect(browser.lastSetCookie?.attributes.get("max-age")).toBe("0");
    expect(browser.cookie).toBeUndefined();
    expect((await sessionRows()).length).toBe(rowsBefore - 1);

    browser.cookie = kept; // a cookie copied before the sign-out
    const after = await browser.fetch("/api/v1/runs");
    expect(after.status).toBe(401);
    expect((await errorOf(after)).code).toBe("SESSION_EXPIRED");
    expect(browser.cookie, "the refused cookie is cleared").toBeUndefined();
  });

  it("ends a session left idle, writes last-seen at most once a minute, and keeps a session in use alive", async () => {
    const browser = await signedIn();
    const [row] = (await sessionRows()).filter((r) => r.tokenHash === sha256Hex(browser.cookie!.value));
    const lastSeen = async () => (await srv.ctx.database.db.select().from(srv.ctx.database.t.sessions).where(eq(srv.ctx.database.t.sessions.id, row!.id)))[0]?.lastSeenAt;

    clock.advance(30_000);
    expect((await browser.fetch("/api/v1/runs")).status).toBe(200);
    expect(await lastSeen(), "no write within the minute").toBe(row!.lastSeenAt);
    clock.advance(31_000);
    expect((await browser.fetch("/api/v1/runs")).status).toBe(200);
    expect(await lastSeen()).toBe(clock.t);

    // In use: each request within the idle time moves the end.
    const idle = srv.ctx.env.sessionIdleMs;
    clock.advance(idle - MIN);
    const who = (await (await browser.fetch("/api/v1/session")).json()) as { expiresAt: string };
    expect(Date.parse(who.expiresAt)).toBe(clock.t + idle);

    clock.advance(idle);
    const refused = await browser.fetch("/api/v1/runs");
    expect(refused.status).toBe(401);
    expect(await errorOf(refused)).toMatchObject({ code: "SESSION_EXPIRED", message: expect.stringContaining(`idle for more than ${idle / MIN} min`) });
    expect(await lastSeen(), "the ended session's row is gone").toBeUndefined();
  });

  it("lets a browser whose session ended sign out and sign in again: a stale cookie stops neither", async () => {
    const browser = await signedIn();
    const stale = { ...browser.cookie! };
    clock.advance(srv.ctx.env.sessionIdleMs + MIN);
    expect((await browser.fetch("/api/v1/session", { method: "DELETE" })).status).toBe(204);
    expect(browser.lastSetCookie?.attributes.get("max-age"), "the ended session's cookie is cleared").toBe("0");
    browser.cookie = stale;
    expect(await (await browser.fetch("/api/v1/session")).json()).toEqual({ signedIn: false });
    browser.cookie = stale;
    const again = await browser.signIn("ops@example.com", PASSWORD);
    expect(again.status).toBe(201);
    expect(again.res.headers.getSetCookie(), "one Set-Cookie: the new session's").toEqual([expect.stringMatching(/^holdfast_session=hf_ses_/)]);
    expect((await browser.fetch("/api/v1/runs")).status).toBe(200);
  });

  it("ends a session a day after sign-in however busy it is", async () => {
    const browser = await signedIn();
    const started = clock.t;
    while (clock.t + 50 * MIN < started + 24 * HOUR) {
      clock.advance(50 * MIN);
      expect((await browser.fetch("/api/v1/runs")).status, `after ${(clock.t - started) / HOUR} h`).toBe(200);
    }
    clock.t = started + 24 * HOUR;
    const refused = await browser.fetch("/api/v1/runs");
    expect(refused.status).toBe(401);
    expect(await errorOf(refused)).toMatchObject({ code: "SESSION_EXPIRED", message: expect.stringContaining("older than 24 h") });
  });

  it("prunes ended sessions at the next sign-in", async () => {
    await signedIn();
    clock.advance(25 * HOUR);
    await signedIn();
    const rows = await sessionRows();
    expect(rows.map((r) => r.createdAt)).toEqual([clock.t]);
  });

  it("refuses the session of a user who no longer exists", async () => {
    await createUser(srv.ctx, { email: "leaver@example.com", role: "viewer", password: PASSWORD });
    const browser = new Browser(srv.url);
    expect((await browser.signIn("leaver@example.com", PASSWORD)).status).toBe(201);
    const { db, t } = srv.ctx.database;
    await db.delete(t.users).where(eq(t.users.email, "leaver@example.com"));
    const res = await browser.fetch("/api/v1/runs");
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("SESSION_EXPIRED");
  });

  it("replaces the browser's session at a new sign-in", async () => {
    const browser = await signedIn();
    const first = { ...browser.cookie! };
    expect((await browser.signIn("ops@example.com", PASSWORD)).status).toBe(201);
    expect(browser.cookie!.value).not.toBe(first.value);
    const stale = new Browser(srv.url);
    stale.cookie = first;
    expect((await stale.fetch("/api/v1/runs")).status).toBe(401);
  });
});

describe("the session cookie behind a reverse proxy", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false, vars: { HOLDFAST_TRUSTED_PROXIES: "127.0.0.1" } });
    await createUser(srv.ctx, { email: "ops@example.com", role: "operator", password: PASSWORD });
  });
  afterAll(async () => srv?.stop());

  it("is Secure and __Host- when the trusted proxy says the client came over TLS, and works there", async () => {
    const browser = new Browser(srv.url, { "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9" });
    expect((await browser.signIn("ops@example.com", PASSWORD)).status).toBe(201);
    const cookie = browser.lastSetCookie!;
    expect(cookie.name).toBe("__Host-holdfast_session");
    expect(cookie.attributes.has("secure")).toBe(true);
    expect(cookie.attributes.has("httponly")).toBe(true);
    expect(cookie.attributes.get("samesite")).toBe("Strict");
    expect(cookie.attributes.has("domain")).toBe(false);
    expect((await browser.fetch("/api/v1/runs")).status).toBe(200);
  });

  it("is plain when the proxy says HTTP", async () => {
    const browser = new Browser(srv.url, { "x-forwarded-proto": "http" });
    expect((await browser.signIn("ops@example.com", PASSWORD)).status).toBe(201);
    expect(browser.lastSetCookie!.name).toBe("holdfast_session");
    expect(browser.lastSetCookie!.attributes.has("secure")).toBe(false);
  });
});

describe("the session cookie without a trusted proxy", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
    await createUser(srv.ctx, { email: "ops@example.com", role: "operator", password: PASSWORD });
  });
  afterAll(async () => srv?.stop());

  it("ignores an X-Forwarded-Proto anyone could send: not Secure", async () => {
    const browser = new Browser(srv.url, { "x-forwarded-proto": "https" });
    expect((await browser.signIn("ops@example.com", PASSWORD)).status).toBe(201);
    expect(browser.lastSetCookie!.name).toBe("holdfast_session");
    expect(browser.lastSetCookie!.attributes.has("secure")).toBe(false);
  });
});

describe("what a refusal leaves in the log", () => {
  let srv: TestServer;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    srv = await startTestServer("sqlite", { scheduler: false, logger: pino({ level: "info" }, sink) });
    await createUser(srv.ctx, { email: "ops@example.com", role: "operator", password: PASSWORD });
  });
  afterAll(async () => srv?.stop());

  const linesOf = (res: Response) => lines.filter((l) => l.requestId === res.headers.get("x-request-id"));

  it("logs each refused request once, on its access line, with its code and the client's address", async () => {
    const browser = new Browser(srv.url);
    const wrong = await browser.signIn("ops@example.com", "not the password");
    expect(linesOf(wrong.res)).toEqual([expect.objectContaining({ msg: "request", status: 401, code: "INVALID_CREDENTIALS", address: "127.0.0.1" })]);
    await browser.signIn("ops@example.com", PASSWORD);
    const noCsrf = await browser.fetch("/api/v1/schedules/sch_x/pause", { method: "POST" });
    expect(noCsrf.status).toBe(403);
    expect(linesOf(noCsrf)).toEqual([expect.objectContaining({ msg: "request", status: 403, code: "CSRF_CHECK_FAILED" })]);
    expect(JSON.stringify(lines)).not.toContain(browser.cookie!.value);
  });
});
