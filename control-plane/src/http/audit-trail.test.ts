import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordAudit } from "../audit/record-audit.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

type Json = Record<string, any>;

describe("the audit trail of /api/v1", () => {
  let srv: TestServer;
  let admin: string;
  let viewer: string;
  const call = async (method: string, path: string, token: string | undefined, json?: unknown) => {
    const res = await srv.api(`/api/v1${path}`, { method, ...(token ? { token } : {}), ...(json === undefined ? {} : { json }) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const table = async () => srv.ctx.database.db.select().from(srv.ctx.database.t.auditLog);

  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
    admin = await srv.token("admin");
    viewer = await srv.token("viewer");
  });
  afterAll(async () => srv?.stop());

  it("records each mutating call with its actor, route, ids, field names, outcome and address, and never a secret", async () => {
    const adminTokenId = (await call("GET", "/api-tokens", admin)).body.items[0].id as string;
    const created = await call("POST", "/users", admin, { email: "audited@example.com", role: "viewer", password: "first-secret-Pa55word" });
    const userId = created.body.id as string;
    await call("POST", `/users/${userId}/password`, admin, { password: "second-secret-Pa55word" });
    const generated = (await call("POST", `/users/${userId}/password`, admin, {})).body.password as string;
    await call("PATCH", `/users/${userId}`, admin, { role: "operator" });
    const newToken = (await call("POST", "/api-tokens", admin, { name: "audited token" })).body;
    await call("POST", "/destinations", viewer, { name: "d", type: "local", config: { path: "/nope" } });
    await call("GET", "/users", admin);
    await call("POST", "/users", undefined, { email: "anon@example.com", role: "admin" });

    const rows = await table();
    // No password, generated password or token secret anywhere in the table.
    const dump = JSON.stringify(rows);
    for (const secret of ["first-secret-Pa55word", "second-secret-Pa55word", generated, newToken.token, newToken.token.slice(11), admin.slice(11)]) expect(dump).not.toContain(secret);

    const byAdmin = { actorEmail: "admin@test.local", credential: adminTokenId, clientAddress: "127.0.0.1" };
    expect(rows.map((r) => r.action)).toEqual(["POST /users", "POST /users/:id/password", "POST /users/:id/password", "PATCH /users/:id", "POST /api-tokens", "POST /destinations"]);
    expect(rows[0]).toMatchObject({ ...byAdmin, target: JSON.stringify({ id: userId }), fields: JSON.stringify(["email", "role", "password"]), status: 201, errorCode: null, requestId: expect.stringMatching(/^req_/) });
    expect(rows[1]).toMatchObject({ ...byAdmin, target: JSON.stringify({ id: userId }), fields: JSON.stringify(["password"]), status: 200 });
    expect(rows[2]).toMatchObject({ fields: "[]", status: 200 });
    expect(rows[3]).toMatchObject({ ...byAdmin, target: JSON.stringify({ id: userId }), fields: JSON.stringify(["role"]), status: 200 });
    expect(rows[4]).toMatchObject({ ...byAdmin, target: JSON.stringify({ id: newToken.id }), fields: JSON.stringify(["name"]) });
    // A refusal by role is recorded with the caller and the code they were told.
    expect(rows[5]).toMatchObject({ actorEmail: "viewer@test.local", status: 403, errorCode: "FORBIDDEN", fields: "[]" });
  });

  it("records refusals with their catalog code", async () => {
    const me = (await call("GET", "/users", admin)).body.items.find((u: Json) => u.email === "admin@test.local").id as string;
    const before = (await table()).length;
    await call("PATCH", `/users/${me}`, admin, { role: "viewer" });
    await call("DELETE", "/users/usr_nobody", admin);
    await call("POST", "/users", admin, { email: "not an email", role: "viewer" });
    await call("DELETE", `/users/${"x".repeat(300)}`, admin);
    await call("DELETE", "/users/%E0%A4%A", admin);
    const rows = (await table()).slice(before);
    expect(rows.map((r) => [r.action, r.status, r.errorCode, r.target])).toEqual([
      ["PATCH /users/:id", 409, "LAST_ADMIN", JSON.stringify({ id: me })],
      ["DELETE /users/:id", 404, "USER_NOT_FOUND", JSON.stringify({ id: "usr_nobody" })],
      ["POST /users", 400, "VALIDATION_FAILED", "{}"],
      // A junk id is kept short, and a malformed escape as it was sent.
      ["DELETE /users/:id", 400, "VALIDATION_FAILED", JSON.stringify({ id: "x".repeat(128) })],
      ["DELETE /users/:id", 404, "USER_NOT_FOUND", JSON.stringify({ id: "%E0%A4%A" })],
    ]);
  });

  it("takes domain events through recordAudit, and pages newest first for admins", async () => {
    // A minute ahead, so it is the newest record even within the same millisecond as the last call.
    const later = { ...srv.ctx, clock: { ...srv.ctx.clock, now: () => new Date(Date.now() + 60_000) } };
    await recordAudit(later, { action: "session.signInFailed", actor: null, status: 401, errorCode: "UNAUTHENTICATED", clientAddress: "192.0.2.7" });
    const first = await call("GET", "/audit?limit=2", admin);
    expect(first.body.items[0]).toMatchObject({ action: "session.signInFailed", actor: null, target: {}, fields: [], status: 401, errorCode: "UNAUTHENTICATED", clientAddress: "192.0.2.7", requestId: null });
    expect(first.body.items[1]).toMatchObject({ action: expect.stringMatching(/^(POST|DELETE) \/users/), actor: { email: "admin@test.local", userId: expect.stringMatching(/^usr_/), credential: expect.stringMatching(/^tok_/) } });
    const seen = [...first.body.items];
    let cursor = first.body.nextCursor as string | null;
    for (let page = 0; cursor && page < 20; page++) {
      const next = await call("GET", `/audit?limit=2&cursor=${cursor}`, admin);
      seen.push(...next.body.items);
      cursor = next.body.nextCursor;
    }
    expect(cursor).toBeNull();
    const newestFirst = (await table()).sort((x, y) => y.at - x.at || (y.id < x.id ? -1 : 1));
    expect(seen.map((r) => r.id)).toEqual(newestFirst.map((r) => r.id));
    expect((await call("GET", "/audit", viewer)).status).toBe(403);
  });

  it("lets the request through, and logs why, when the record cannot be written", async () => {
    const lines: Json[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as Json), done()) });
    const broken = await startTestServer("sqlite", { scheduler: false, logger: pino({ level: "error" }, sink) });
    try {
      const token = await broken.token("admin");
      await broken.ctx.database.db.run(sql`DROP TABLE audit_log`);
      const res = await broken.api("/api/v1/users", { method: "POST", token, json: { email: "still@example.com", role: "viewer", password: "still works fine" } });
      expect(res.status).toBe(201);
      expect(lines.find((l) => l.msg === "audit record not written")).toMatchObject({ audit: { action: "POST /users", fields: ["email", "role", "password"] } });
      expect(JSON.stringify(lines)).not.toContain("still works fine");
    } finally {
      await broken.stop();
    }
  });
});
