import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

type Json = Record<string, any>;

describe.each(DIALECTS)("REST API: users and API tokens on %s", (dialect) => {
  let srv: TestServer;
  let admin: string;
  const texts: string[] = [];

  /** Calls the API and keeps every answer's text, to check no answer ever carries a hash. */
  async function call(method: string, path: string, token: string, json?: unknown): Promise<{ status: number; body: Json }> {
    const res = await srv.api(`/api/v1${path}`, { method, token, ...(json === undefined ? {} : { json }) });
    const text = await res.text();
    texts.push(text);
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  }
  const adminId = async () => (await call("GET", "/users", admin)).body.items.find((u: Json) => u.email === "admin@test.local").id as string;
  /** A user made through the API, and a token of theirs made by the admin. */
  async function userWithToken(email: string, role: string, tokenRole?: string) {
    const user = (await call("POST", "/users", admin, { email, role })).body;
    const made = await call("POST", "/api-tokens", admin, { name: "for tests", userId: user.id, ...(tokenRole ? { role: tokenRole } : {}) });
    expect(made.status).toBe(201);
    return { user, token: made.body.token as string, tokenId: made.body.id as string };
  }

  beforeAll(async () => {
    srv = await startTestServer(dialect, { scheduler: false });
    admin = await srv.token("admin");
  });
  afterAll(async () => {
    // No answer of any test ever carried a password hash.
    for (const text of texts) expect(text).not.toMatch(/scrypt\$|passwordHash|password_hash/);
    await srv?.stop();
  });

  it("lets an admin create, read, change, disable, reset and delete users", async () => {
    const created = await call("POST", "/users", admin, { email: "New@Example.com", role: "operator" });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^usr_/), email: "new@example.com", role: "operator", createdAt: expect.any(String), disabledAt: null, password: expect.stringMatching(/^[\w-]{24}$/) });
    const id = created.body.id as string;
    const chosen = await call("POST", "/users", admin, { email: "chosen@example.com", role: "viewer", password: "chosen by the admin" });
    expect(chosen.body.password).toBeUndefined();

    expect((await call("GET", "/users", admin)).body.items.map((u: Json) => u.email)).toEqual(["admin@test.local", "chosen@example.com", "new@example.com"]);
    expect((await call("PATCH", `/users/${id}`, admin, { role: "viewer" })).body).toMatchObject({ id, role: "viewer", disabledAt: null });
    expect((await call("PATCH", `/users/${id}`, admin, { disabled: true })).body.disabledAt).toEqual(expect.any(String));
    expect((await call("GET", `/users/${id}`, admin)).body).toMatchObject({ role: "viewer", disabledAt: expect.any(String) });
    expect((await call("PATCH", `/users/${id}`, admin, { disabled: false })).body.disabledAt).toBeNull();

    const reset = await call("POST", `/users/${id}/password`, admin, {});
    expect(reset.body.password).toMatch(/^[\w-]{24}$/);
    expect(reset.body.password).not.toBe(created.body.password);
    expect((await call("POST", `/users/${id}/password`, admin, { password: "another chosen one" })).body.password).toBeUndefined();

    expect((await call("DELETE", `/users/${id}`, admin)).status).toBe(204);
    expect((await call("GET", `/users/${id}`, admin)).body.error.code).toBe("USER_NOT_FOUND");
  });

  it("answers bad input with the catalog's code and changes nothing", async () => {
    const before = (await call("GET", "/users", admin)).body.items;
    const duplicate = await call("POST", "/users", admin, { email: "CHOSEN@example.com", role: "admin" });
    expect(duplicate).toMatchObject({ status: 409, body: { error: { code: "ALREADY_EXISTS", details: { userId: before.find((u: Json) => u.email === "chosen@example.com").id } } } });
    expect((await call("POST", "/users", admin, { email: "short@example.com", role: "viewer", password: "short" })).body.error).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "password" }] } });
    for (const [method, path, json] of [["GET", "/users/usr_nobody"], ["PATCH", "/users/usr_nobody", { role: "viewer" }], ["DELETE", "/users/usr_nobody"], ["POST", "/users/usr_nobody/password", {}]] as const) {
      expect((await call(method, path, admin, json)).body.error.code, `${method} ${path}`).toBe("USER_NOT_FOUND");
    }
    const me = await adminId();
    for (const [method, json] of [["PATCH", { role: "operator" }], ["PATCH", { disabled: true }], ["DELETE", undefined]] as const) {
      const refused = await call(method, `/users/${me}`, admin, json);
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({ code: "LAST_ADMIN", message: "admin@test.local is the last enabled admin and cannot be " + (method === "DELETE" ? "deleted" : json?.role ? "demoted" : "disabled") + ": make another user an admin first" });
    }
    expect((await call("PATCH", "/users/usr_x", admin, {})).body.error).toMatchObject({ code: "VALIDATION_FAILED" });
    expect((await call("GET", "/users", admin)).body.items).toEqual(before);
    // The admin's token still works: nothing was demoted.
    expect((await call("GET", "/users", admin)).status).toBe(200);
  });

  it("lets a token act with its user's role or the lower one it was made with, and follows a demotion", async () => {
    const viewer = await userWithToken("v@example.com", "viewer");
    expect((await call("POST", "/destinations", viewer.token, {})).body.error).toMatchObject({ code: "FORBIDDEN", message: "This needs the operator role; you are viewer" });

    const readOnly = (await call("POST", "/api-tokens", admin, { name: "read only", role: "viewer" })).body;
    expect(readOnly).toMatchObject({ name: "read only", role: "viewer", effectiveRole: "viewer", userEmail: "admin@test.local", prefix: readOnly.token.slice(0, 11) });
    expect((await call("GET", "/users", readOnly.token)).body.error).toMatchObject({ code: "FORBIDDEN", message: "This needs the admin role; you are viewer" });
    expect((await call("POST", "/api-tokens", readOnly.token, { name: "escalate", role: "admin" })).body.error).toMatchObject({ code: "API_TOKEN_ROLE_TOO_HIGH", details: { userRole: "viewer" } });

    const operator = await userWithToken("o@example.com", "operator");
    expect((await call("POST", "/schedules", operator.token, {})).status).toBe(400);
    expect((await call("POST", "/api-tokens", admin, { name: "too high", userId: operator.user.id, role: "admin" })).body.error.code).toBe("API_TOKEN_ROLE_TOO_HIGH");
    await call("PATCH", `/users/${operator.user.id}`, admin, { role: "viewer" });
    expect((await call("POST", "/schedules", operator.token, {})).body.error).toMatchObject({ code: "FORBIDDEN", message: "This needs the operator role; you are viewer" });
    expect((await call("GET", "/api-tokens", operator.token)).body.items[0]).toMatchObject({ role: "operator", effectiveRole: "viewer" });
  });

  it("refuses a revoked token and a disabled user's tokens from the next request on", async () => {
    const { user, token, tokenId } = await userWithToken("r@example.com", "operator");
    const second = (await call("POST", "/api-tokens", token, { name: "second" })).body;
    expect((await call("GET", "/agents", token)).status).toBe(200);
    expect((await call("DELETE", `/api-tokens/${tokenId}`, token)).status).toBe(204);
    expect((await call("GET", "/agents", token)).body.error.code).toBe("UNAUTHENTICATED");

    expect((await call("GET", "/agents", second.token)).status).toBe(200);
    await call("PATCH", `/users/${user.id}`, admin, { disabled: true });
    expect(await call("GET", "/agents", second.token)).toMatchObject({ status: 403, body: { error: { code: "USER_DISABLED" } } });
    await call("PATCH", `/users/${user.id}`, admin, { disabled: false });
    expect((await call("GET", "/agents", second.token)).status).toBe(200);
  });

  it("lets each user list and revoke their own tokens, and admins everyone's; shows prefixes and last use, never secrets", async () => {
    const { user, token, tokenId } = await userWithToken("l@example.com", "viewer");
    await call("GET", "/agents", token);
    const mine = (await call("GET", "/api-tokens", token)).body.items;
    expect(mine).toEqual([expect.objectContaining({ id: tokenId, userId: user.id, prefix: token.slice(0, 11), lastUsedAt: expect.any(String) })]);
    expect(JSON.stringify(mine)).not.toContain(token.slice(11));

    const adminTokens = (await call("GET", `/api-tokens?userId=${await adminId()}`, admin)).body.items;
    expect(adminTokens.length).toBeGreaterThan(0);
    expect((await call("GET", `/api-tokens?userId=${await adminId()}`, token)).body.error.code).toBe("FORBIDDEN");
    expect((await call("GET", "/api-tokens?all=true", token)).body.error.code).toBe("FORBIDDEN");
    expect((await call("DELETE", `/api-tokens/${adminTokens[0].id}`, token)).body.error.code).toBe("API_TOKEN_NOT_FOUND");
    expect((await call("POST", "/api-tokens", token, { name: "x", userId: await adminId() })).body.error.code).toBe("FORBIDDEN");

    const everyone = (await call("GET", "/api-tokens?all=true", admin)).body.items;
    expect(everyone.map((x: Json) => x.userEmail)).toContain("l@example.com");
    expect((await call("GET", `/api-tokens?userId=${user.id}`, admin)).body.items.map((x: Json) => x.id)).toEqual([tokenId]);
    expect((await call("DELETE", `/api-tokens/${tokenId}`, admin)).status).toBe(204);
    expect((await call("GET", "/agents", token)).status).toBe(401);
  });
});
