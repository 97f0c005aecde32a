import { type Clock, HoldfastError, systemClock } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbContext } from "../context.js";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { createApiToken, LAST_USE_RESOLUTION_MS, resolveApiToken } from "./api-tokens.js";
import { createUser } from "./create-user.js";
import { createApiTokenAs, listApiTokens, revokeApiToken } from "./manage-api-tokens.js";
import { updateUser } from "./update-user.js";

const code = (p: Promise<unknown>) => p.then(() => "resolved", (e: unknown) => (e instanceof HoldfastError ? e.code : String(e)));

describe.each(DIALECTS)("API tokens on %s", (dialect) => {
  let tdb: TestDatabase;
  let ops: { id: string; email: string };
  let admin: { id: string; email: string };
  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    ops = (await createUser(tdb.ctx, { email: "ops@example.com", role: "operator", password: "a long enough password" })).user;
    admin = (await createUser(tdb.ctx, { email: "root@example.com", role: "admin", password: "a long enough password" })).user;
  });
  afterAll(async () => tdb.cleanup());

  it("acts with the lower of its own role and its user's current one", async () => {
    const capped = await createApiToken(tdb.ctx, { userId: ops.id }, { name: "grafana", role: "viewer" });
    const full = await createApiToken(tdb.ctx, { userId: ops.id }, { name: "ci" });
    expect(full).toMatchObject({ name: "ci", role: "operator", effectiveRole: "operator", userEmail: "ops@example.com" });
    expect((await resolveApiToken(tdb.ctx, capped.token)).role).toBe("viewer");
    expect(await resolveApiToken(tdb.ctx, full.token)).toMatchObject({ id: ops.id, role: "operator", credential: { kind: "api-token", id: full.id } });

    await updateUser(tdb.ctx, ops.id, { role: "viewer" });
    expect((await resolveApiToken(tdb.ctx, full.token)).role).toBe("viewer");
    // Promoting the user back gives the token back no more than its own role.
    await updateUser(tdb.ctx, ops.id, { role: "admin" });
    expect((await resolveApiToken(tdb.ctx, full.token)).role).toBe("operator");
    await updateUser(tdb.ctx, ops.id, { role: "operator" });
  });

  it("refuses a role above the user's, and a credential minting a token above its own role", async () => {
    expect(await code(createApiToken(tdb.ctx, { userId: ops.id }, { role: "admin" }))).toBe("API_TOKEN_ROLE_TOO_HIGH");
    const viewerOfAdmin = await createApiToken(tdb.ctx, { userId: admin.id }, { name: "read only", role: "viewer" });
    const actor = await resolveApiToken(tdb.ctx, viewerOfAdmin.token);
    expect(await code(createApiTokenAs(tdb.ctx, actor, { name: "escalate", role: "admin" }))).toBe("API_TOKEN_ROLE_TOO_HIGH");
    // Without a role it gets the credential's, not the user's.
    await expect(createApiTokenAs(tdb.ctx, actor, { name: "same" })).resolves.toMatchObject({ role: "viewer" });
    // Nor may it act on another user's tokens.
    expect(await code(createApiTokenAs(tdb.ctx, actor, { name: "theirs", userId: ops.id }))).toBe("FORBIDDEN");
  });

  it("keeps a token made before tokens had roles acting with its user's role", async () => {
    const legacy = await createApiToken(tdb.ctx, { userId: admin.id }, { name: "old" });
    const { db, t } = tdb.database;
    await db.update(t.apiTokens).set({ role: null, tokenPrefix: null }).where(eq(t.apiTokens.id, legacy.id));
    expect((await resolveApiToken(tdb.ctx, legacy.token)).role).toBe("admin");
    const listed = (await listApiTokens(tdb.ctx, { ...admin, role: "admin" }, {})).find((x) => x.id === legacy.id);
    expect(listed).toMatchObject({ role: null, effectiveRole: "admin", prefix: null });
  });

  it("is refused at once once revoked, or once its user is disabled", async () => {
    const { token, id } = await createApiToken(tdb.ctx, { userId: ops.id }, { name: "to revoke" });
    await resolveApiToken(tdb.ctx, token);
    await revokeApiToken(tdb.ctx, { ...ops, role: "operator" }, id);
    expect(await code(resolveApiToken(tdb.ctx, token))).toBe("UNAUTHENTICATED");
    expect(await code(revokeApiToken(tdb.ctx, { ...ops, role: "operator" }, id))).toBe("API_TOKEN_NOT_FOUND");

    const other = await createApiToken(tdb.ctx, { userId: ops.id }, { name: "to disable" });
    await updateUser(tdb.ctx, ops.id, { disabled: true });
    expect(await code(resolveApiToken(tdb.ctx, other.token))).toBe("USER_DISABLED");
    expect(await code(createApiToken(tdb.ctx, { userId: ops.id }, { name: "new" }))).toBe("USER_DISABLED");
    await updateUser(tdb.ctx, ops.id, { disabled: false });
    expect((await resolveApiToken(tdb.ctx, other.token)).email).toBe("ops@example.com");
  });

  it("shows its prefix in lists, never the secret; others' tokens only to admins", async () => {
    const made = await createApiToken(tdb.ctx, { userId: ops.id }, { name: "listed" });
    const asOps = await listApiTokens(tdb.ctx, { ...ops, role: "operator" }, {});
    const listed = asOps.find((x) => x.id === made.id);
    expect(listed?.prefix).toBe(made.token.slice(0, 11));
    expect(JSON.stringify(asOps)).not.toContain(made.token.slice(11, 30));
    expect(asOps.every((x) => x.userId === ops.id)).toBe(true);
    expect(await code(listApiTokens(tdb.ctx, { ...ops, role: "operator" }, { userId: admin.id }))).toBe("FORBIDDEN");
    expect(await code(listApiTokens(tdb.ctx, { ...ops, role: "operator" }, { all: "true" }))).toBe("FORBIDDEN");
    const all = await listApiTokens(tdb.ctx, { ...admin, role: "admin" }, { all: "true" });
    expect(new Set(all.map((x) => x.userId))).toEqual(new Set([ops.id, admin.id]));
    // A non-admin cannot tell another user's token from an unknown one.
    const adminToken = all.find((x) => x.userId === admin.id)!;
    expect(await code(revokeApiToken(tdb.ctx, { ...ops, role: "operator" }, adminToken.id))).toBe("API_TOKEN_NOT_FOUND");
    await revokeApiToken(tdb.ctx, { ...admin, role: "admin" }, made.id);
    expect((await listApiTokens(tdb.ctx, { ...ops, role: "operator" }, {})).map((x) => x.id)).not.toContain(made.id);
  });

  it("records its last use at most once per resolution window", async () => {
    let now = Date.parse("2030-01-01T00:00:00Z");
    const clock: Clock = { ...systemClock, now: () => new Date(now) };
    const ctx: DbContext = { database: tdb.database, clock };
    const { token, id } = await createApiToken(ctx, { userId: ops.id }, { name: "used" });
    const lastUsed = async () => (await tdb.database.db.select().from(tdb.database.t.apiTokens).where(eq(tdb.database.t.apiTokens.id, id)))[0]!.lastUsedAt;
    expect(await lastUsed()).toBeNull();
    await resolveApiToken(ctx, token);
    const first = now;
    expect(await lastUsed()).toBe(first);
    now += LAST_USE_RESOLUTION_MS - 1;
    await resolveApiToken(ctx, token);
    expect(await lastUsed()).toBe(first);
    now += 1;
    await resolveApiToken(ctx, token);
    expect(await lastUsed()).toBe(now);
  });
});
