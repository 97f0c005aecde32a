import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { TestClock } from "../testing/test-clock.js";
import { type AuditEntry, recordAudit } from "./record-audit.js";

const DAY = 86_400_000;
const T0 = Date.parse("2026-06-01T12:00:00Z");

interface Page {
  items: Array<{ id: string; at: string; action: string; actor: { email: string } | null; target: Record<string, string>; clientAddress: string; status: number }>;
  nextCursor: string | null;
}

describe.each(DIALECTS)("the audit log on %s: filters, pages, retention", (dialect) => {
  let srv: TestServer;
  let admin: string;
  const alice = { userId: "usr_alice", email: "Alice@example.com", credential: "session" };
  const bob = { userId: "usr_bob", email: "bob@example.com", credential: "tok_1" };

  /** A record at `T0 + minutes`, written through the same function the routes use. */
  async function seed(minutes: number, entry: Partial<AuditEntry> & Pick<AuditEntry, "action">) {
    const clock = new TestClock(T0 + minutes * 60_000);
    await recordAudit({ database: srv.ctx.database, clock, log: srv.ctx.log }, { actor: alice, status: 200, clientAddress: "192.0.2.1", ...entry });
  }
  const list = async (query: Record<string, string>, token = admin) => {
    const res = await srv.api(`/api/v1/audit?${new URLSearchParams(query)}`, { token });
    return { status: res.status, body: (await res.json()) as Page & { error?: { code: string; message: string } } };
  };
  const actions = (p: Page) => p.items.map((i) => i.action);

  beforeAll(async () => {
    srv = await startTestServer(dialect, { scheduler: false });
    admin = await srv.token("admin");
    await seed(0, { action: "session.signIn" });
    await seed(1, { action: "PATCH /destinations/:id", target: { id: "dst_a1" }, fields: ["config"] });
    await seed(2, { action: "session.signIn", actor: bob });
    await seed(3, { action: "artifact.download", actor: bob, target: { runId: "run_x1" } });
    // `_` is a LIKE wildcard: "dst_a1" must not match "dstXa1".
    await seed(4, { action: "DELETE /destinations/:id", target: { id: "dstXa1" }, status: 404, errorCode: "NOT_FOUND" });
    await seed(5, { action: "session.signIn", actor: null, status: 401, errorCode: "INVALID_CREDENTIALS" });
  });
  afterAll(async () => srv?.stop());

  const seeded = (p: Page) => ({ ...p, items: p.items.filter((i) => Date.parse(i.at) < T0 + DAY) });

  it("filters by actor (id or e-mail, any case), action, object and time, newest first", async () => {
    expect(actions(seeded((await list({ actor: "alice@EXAMPLE.com" })).body))).toEqual(["DELETE /destinations/:id", "PATCH /destinations/:id", "session.signIn"]);
    expect(actions((await list({ actor: "usr_bob" })).body)).toEqual(["artifact.download", "session.signIn"]);
    const signIns = (await list({ action: "session.signIn", to: new Date(T0 + DAY).toISOString() })).body;
    expect(signIns.items.map((i) => [i.actor?.email ?? null, i.status])).toEqual([[null, 401], ["bob@example.com", 200], ["Alice@example.com", 200]]);
    expect(actions((await list({ object: "dst_a1" })).body)).toEqual(["PATCH /destinations/:id"]);
    expect((await list({ object: "run_x1" })).body.items[0]).toMatchObject({ action: "artifact.download", target: { runId: "run_x1" }, clientAddress: "192.0.2.1" });
    const window = (await list({ from: new Date(T0 + 60_000).toISOString(), to: new Date(T0 + 3 * 60_000).toISOString() })).body;
    expect(actions(window)).toEqual(["session.signIn", "PATCH /destinations/:id"]);
    expect(actions((await list({ action: "session.signIn", actor: "usr_bob" })).body)).toEqual(["session.signIn"]);
  });

  it("pages by cursor without repeating or skipping a record, filters kept", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: Record<string, string> = { to: new Date(T0 + DAY).toISOString(), limit: "2", ...(cursor ? { cursor } : {}) };
      const { body } = await list(q);
      seen.push(...body.items.map((i) => i.id));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(6);
    const whole = (await list({ to: new Date(T0 + DAY).toISOString(), limit: "10" })).body;
    expect(whole.items.map((i) => i.id)).toEqual(seen);
    expect(whole.nextCursor).toBeNull();
  });

  it("refuses bad filters with VALIDATION_FAILED naming them, and a non-admin", async () => {
    for (const [query, field] of [[{ object: "dst a1'" }, "object"], [{ from: "yesterday" }, "from"], [{ from: new Date(T0 + DAY).toISOString(), to: new Date(T0).toISOString() }, "from"], [{ who: "x" }, "who"]] as const) {
      const { status, body } = await list(query as Record<string, string>);
      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: "VALIDATION_FAILED" });
      expect(JSON.stringify(body.error)).toContain(field);
    }
    expect((await list({}, await srv.token("operator"))).status).toBe(403);
  });

});
