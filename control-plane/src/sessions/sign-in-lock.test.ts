import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../server.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { TestClock } from "../testing/test-clock.js";
import { createUser } from "../users/create-user.js";
import { lockMsAfter } from "./sign-in-lock.js";

const PASSWORD = "a long enough password";
const WRONG = "not the password at all";
// Small thresholds so the loops stay short; the rule is the same at the defaults (5 and 25).
const ACCOUNT_FAILURES = 3;
const ADDRESS_FAILURES = 5;

/** A sign-in's answer without its request id: what must not differ between a known and an unknown e-mail. */
interface Answer {
  status: number;
  retryAfter: string | null;
  error?: { code: string; message: string; retryable: boolean; details?: Record<string, unknown> };
}

describe("lockMsAfter", () => {
  it("locks at the threshold for a minute, doubling with each further failure up to an hour", () => {
    expect([4, 5, 6, 7, 8, 9, 10, 11, 12, 50].map((n) => lockMsAfter(n, 5) / 60_000)).toEqual([0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });
});

describe.each(DIALECTS)("sign-in lock-out on %s", (dialect) => {
  let srv: TestServer;
  let url: string;
  const clock = new TestClock();
  let nextAddress = 1;
  /** A client address no other test used: the trusted proxy (this test) says so in X-Forwarded-For. */
  const freshAddress = () => `198.51.100.${nextAddress++}`;

  beforeAll(async () => {
    srv = await startTestServer(dialect, {
      scheduler: false,
      clock,
      vars: { HOLDFAST_TRUSTED_PROXIES: "127.0.0.1", HOLDFAST_SIGNIN_ACCOUNT_FAILURES: String(ACCOUNT_FAILURES), HOLDFAST_SIGNIN_ADDRESS_FAILURES: String(ADDRESS_FAILURES) },
    });
    url = srv.url;
  });
  afterAll(async () => srv?.stop());

  const signIn = async (email: string, password: string, address: string): Promise<Answer> => {
    const res = await fetch(`${url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": address },
      body: JSON.stringify({ email, password }),
    });
    const body = (await res.json()) as { error?: Answer["error"] & { requestId?: string } };
    if (!body.error) return { status: res.status, retryAfter: res.headers.get("retry-after") };
    const { requestId: _, ...error } = body.error;
    return { status: res.status, retryAfter: res.headers.get("retry-after"), error };
  };
  const invalid = { status: 401, retryAfter: null, error: { code: "INVALID_CREDENTIALS", message: "Wrong e-mail or password", retryable: false } };
  const locked = (seconds: number) => ({
    status: 429,
    retryAfter: String(seconds),
    error: { code: "SIGN_IN_LOCKED", message: `Too many failed sign-ins for this e-mail or from this address: try again in ${seconds} s`, retryable: true, details: { retryAfterSeconds: seconds } },
  });

  /** The same attempts against an e-mail, each from a new address (an attacker moving between addresses). */
  const lockScript = async (email: string): Promise<Answer[]> => {
    const answers: Answer[] = [];
    for (let i = 0; i < ACCOUNT_FAILURES; i++) answers.push(await signIn(email, WRONG, freshAddress()));
    answers.push(await signIn(email, PASSWORD, freshAddress()));
    clock.advance(59_000);
    answers.push(await signIn(email, PASSWORD, freshAddress()));
    clock.advance(1_000);
    answers.push(await signIn(email, WRONG, freshAddress()));
    answers.push(await signIn(email, WRONG, freshAddress()));
    return answers;
  };

  it("locks an e-mail after repeated failures from any address, for a minute then twice as long; an unknown e-mail is answered exactly alike", async () => {
    await createUser(srv.ctx, { email: "known@example.com", role: "operator", password: PASSWORD });
    const expected = [invalid, invalid, invalid, locked(60), locked(1), invalid, locked(120)];
    const known = await lockScript("known@example.com");
    const unknown = await lockScript("nobody@example.com");
    expect(known).toEqual(expected);
    expect(unknown).toEqual(known);
  });

  it("lets the right password in once the lock ends, and forgets the e-mail's failures then", async () => {
    await createUser(srv.ctx, { email: "typo@example.com", role: "viewer", password: PASSWORD });
    for (let i = 0; i < ACCOUNT_FAILURES; i++) expect(await signIn("typo@example.com", WRONG, freshAddress())).toEqual(invalid);
    expect(await signIn("typo@example.com", PASSWORD, freshAddress())).toEqual(locked(60));
    clock.advance(60_000);
    expect((await signIn("typo@example.com", PASSWORD, freshAddress())).status).toBe(201);
    // Counted from zero again: the next lock is the first one's minute, not four.
    for (let i = 0; i < ACCOUNT_FAILURES; i++) expect(await signIn("typo@example.com", WRONG, freshAddress())).toEqual(invalid);
    expect(await signIn("typo@example.com", PASSWORD, freshAddress())).toEqual(locked(60));
  });

  it("locks an address that sprays one password over many e-mails, and only that address, until its time is up", async () => {
    await createUser(srv.ctx, { email: "sprayed@example.com", role: "admin", password: PASSWORD });
    const attacker = freshAddress();
    const targets = ["sprayed@example.com", "a@example.com", "b@example.com", "c@example.com", "d@example.com"];
    for (const email of targets) expect(await signIn(email, WRONG, attacker), email).toEqual(invalid);
    // Each e-mail failed once only, yet this address may try none of them now, not even with the right password.
    expect(await signIn("sprayed@example.com", PASSWORD, attacker)).toEqual(locked(60));
    expect(await signIn("e@example.com", WRONG, attacker)).toEqual(locked(60));
    // Someone elsewhere is not locked out by it.
    expect((await signIn("sprayed@example.com", PASSWORD, freshAddress())).status).toBe(201);

    clock.advance(60_000);
    expect((await signIn("sprayed@example.com", PASSWORD, attacker)).status).toBe(201);
    // A good sign-in does not clear the address: one valid account must not reset a spray.
    expect(await signIn("f@example.com", WRONG, attacker)).toEqual(invalid);
    expect(await signIn("g@example.com", WRONG, attacker)).toEqual(locked(120));
  });

  it("forgets failures a day after the last one: the count starts again, and the row goes at the next sign-in", async () => {
    const { db, t } = srv.ctx.database;
    const keys = async () => (await db.select().from(t.signInFailures)).map((r) => r.key);
    for (let i = 0; i < ACCOUNT_FAILURES - 1; i++) expect(await signIn("forgetful@example.com", WRONG, freshAddress())).toEqual(invalid);
    expect(await keys()).toContain("account:forgetful@example.com");
    clock.advance(24 * 3_600_000 + 1);
    // Without forgetting, this failure would be the one that locks.
    expect(await signIn("forgetful@example.com", WRONG, freshAddress())).toEqual(invalid);
    expect(await signIn("forgetful@example.com", WRONG, freshAddress())).toEqual(invalid);
    expect(await signIn("forgetful@example.com", WRONG, freshAddress())).toEqual(invalid);
    expect(await signIn("forgetful@example.com", WRONG, freshAddress())).toEqual(locked(60));
    // The other tests' counters, a day old and unlocked, were pruned by those sign-ins.
    expect((await keys()).filter((k) => k.startsWith("account:")).sort()).toEqual(["account:forgetful@example.com"]);
  });

  it("runs no more password checks in a burst than the lock allows", async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => signIn("burst@example.com", WRONG, freshAddress())));
    const checked = answers.filter((a) => a.status === 401).length;
    // Two checks may be in their hash at the moment the lock starts: the threshold, plus at most the other one.
    expect(checked).toBeGreaterThanOrEqual(ACCOUNT_FAILURES);
    expect(checked).toBeLessThanOrEqual(ACCOUNT_FAILURES + 1);
    expect(answers.filter((a) => a.status === 429).length).toBe(12 - checked);
  });

  it("keeps a lock across a restart: the counters are in the database", async () => {
    for (let i = 0; i < ACCOUNT_FAILURES; i++) expect(await signIn("restart@example.com", WRONG, freshAddress())).toEqual(invalid);
    await srv.close();
    const again = await startServer(srv.ctx.env, { quiet: true, scheduler: false, clock, logger: pino({ level: "silent" }) });
    try {
      url = again.url;
      expect(await signIn("restart@example.com", WRONG, freshAddress())).toEqual(locked(60));
    } finally {
      await again.close();
    }
  });
});
