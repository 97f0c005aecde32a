import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { createApiToken, createUser, deleteUser, listUsers, resolveApiToken, setPassword, verifyPassword } from "./index.js";

const code = (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => (e instanceof HoldfastError ? e.code : String(e)));

describe.each(DIALECTS)("users on %s", (dialect) => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
  });
  afterAll(async () => tdb.cleanup());

  it("creates a user whose password verifies, and no other password does", async () => {
    const { user } = await createUser(tdb.ctx, { email: "Ops@Example.com", role: "operator", password: "correct horse battery" });
    expect(user).toMatchObject({ email: "ops@example.com", role: "operator" });
    expect(user.id).toMatch(/^usr_/);
    await expect(verifyPassword(tdb.ctx, "ops@example.com", "correct horse battery")).resolves.toMatchObject({ id: user.id });
    expect(await code(verifyPassword(tdb.ctx, "ops@example.com", "wrong horse battery"))).toBe("INVALID_CREDENTIALS");
    expect(await code(verifyPassword(tdb.ctx, "nobody@example.com", "correct horse battery"))).toBe("INVALID_CREDENTIALS");
  });

  it("stores a salted hash, never the password", async () => {
    await createUser(tdb.ctx, { email: "a@example.com", role: "viewer", password: "same password here" });
    await createUser(tdb.ctx, { email: "b@example.com", role: "viewer", password: "same password here" });
    const { db, t } = tdb.database;
    const rows = (await db.select().from(t.users)).filter((u) => u.email !== "ops@example.com");
    expect(rows.every((r) => !r.passwordHash.includes("same password"))).toBe(true);
    expect(rows[0]?.passwordHash).not.toBe(rows[1]?.passwordHash);
  });

  it("refuses a second user with the same e-mail", async () => {
    expect(await code(createUser(tdb.ctx, { email: "OPS@example.com", role: "admin", password: "another password!" }))).toBe("ALREADY_EXISTS");
  });

  it("resolves an API token to its user; stores only its hash; refuses others", async () => {
    const { token } = await createApiToken(tdb.ctx, { email: "ops@example.com" });
    expect(token).toMatch(/^hf_api_[A-Za-z0-9_-]{43}$/);
    await expect(resolveApiToken(tdb.ctx, token)).resolves.toMatchObject({ email: "ops@example.com", role: "operator" });
    const { db, t } = tdb.database;
    const stored = await db.select().from(t.apiTokens);
    expect(stored.some((r) => r.tokenHash === token)).toBe(false);
    expect(stored[0]?.lastUsedAt).not.toBeNull();
    expect(await code(resolveApiToken(tdb.ctx, `${token.slice(0, -1)}x`))).toBe("UNAUTHENTICATED");
    expect(await code(resolveApiToken(tdb.ctx, "not-a-token"))).toBe("UNAUTHENTICATED");
  });

  it("refuses a token for an unknown user", async () => {
    expect(await code(createApiToken(tdb.ctx, { email: "ghost@example.com" }))).toBe("USER_NOT_FOUND");
  });

  it("generates a password when none is given, answers it once and stores only its hash", async () => {
    const { user, generatedPassword } = await createUser(tdb.ctx, { email: "gen@example.com", role: "viewer" });
    expect(generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    await expect(verifyPassword(tdb.ctx, "gen@example.com", generatedPassword!)).resolves.toMatchObject({ id: user.id });
    expect(JSON.stringify(await tdb.database.db.select().from(tdb.database.t.users))).not.toContain(generatedPassword!);

    const { db, t } = tdb.database;
    await db.insert(t.sessions).values({ id: "ses_before_reset", userId: user.id, tokenHash: "0".repeat(64), createdAt: 1, lastSeenAt: 1 });
    const reset = await setPassword(tdb.ctx, user.id, {});
    // Whoever signed in with the old password is signed out.
    expect(await db.select().from(t.sessions).where(eq(t.sessions.userId, user.id))).toEqual([]);
    expect(reset.generatedPassword).not.toBe(generatedPassword);
    expect(await code(verifyPassword(tdb.ctx, "gen@example.com", generatedPassword!))).toBe("INVALID_CREDENTIALS");
    await expect(verifyPassword(tdb.ctx, "gen@example.com", reset.generatedPassword!)).resolves.toMatchObject({ id: user.id });
    await expect(setPassword(tdb.ctx, user.id, { password: "chosen by the admin" })).resolves.toMatchObject({ generatedPassword: null });
    await expect(verifyPassword(tdb.ctx, "gen@example.com", "chosen by the admin")).resolves.toMatchObject({ id: user.id });
    expect(await code(setPassword(tdb.ctx, "usr_nobody", {}))).toBe("USER_NOT_FOUND");
  });

  it("deletes a user with their API tokens", async () => {
    const { user } = await createUser(tdb.ctx, { email: "gone@example.com", role: "operator", password: "a long enough password" });
    const { token } = await createApiToken(tdb.ctx, { userId: user.id }, { name: "theirs" });
    await deleteUser(tdb.ctx, user.id);
    expect((await listUsers(tdb.ctx)).map((u) => u.email)).not.toContain("gone@example.com");
    expect(await code(resolveApiToken(tdb.ctx, token))).toBe("UNAUTHENTICATED");
    expect(await code(deleteUser(tdb.ctx, user.id))).toBe("USER_NOT_FOUND");
  });
});
