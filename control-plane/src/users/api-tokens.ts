import { HoldfastError, lowerRole, newId, Role, roleAtLeast } from "@holdfast/shared";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { constantTimeEqual, newSecret, sha256Hex } from "../crypto.js";
import { assertUserActive, type AuthenticatedUser } from "./authenticated-user.js";
import { signedInUser } from "./signed-in-user.js";
import { getUserByEmail, getUserRow } from "./find-user.js";
import { type ApiTokenView, effectiveRole, toApiTokenView } from "./api-token-view.js";

export const API_TOKEN_PREFIX = "hf_api_";
/** What a list shows of a secret: the prefix and 4 of its 43 random characters (24 of 256 bits). */
const SHOWN_PREFIX_LENGTH = API_TOKEN_PREFIX.length + 4;
/** How stale a token's `lastUsedAt` may be: one write a minute per token at most, not one per request. */
export const LAST_USE_RESOLUTION_MS = 60_000;
export const DEFAULT_API_TOKEN_NAME = "API token";

export interface NewApiToken {
  name?: string | undefined;
  /** The most the token may do; its user's role by default, never above it. */
  role?: Role | undefined;
  /** The most the token may do because of who makes it: an API token may not mint one above its own role. */
  cap?: Role | undefined;
}

/**
 * Creates an API token for a user (by id or e-mail). The secret is returned once; only its SHA-256
 * and its first characters are stored. A role above the user's (or above `cap`) is
 * API_TOKEN_ROLE_TOO_HIGH; a disabled user gets no new token.
 */
export async function createApiToken(ctx: DbContext, owner: { email: string } | { userId: string }, opts: NewApiToken = {}): Promise<ApiTokenView & { token: string }> {
  const user = "email" in owner ? await getUserByEmail(ctx, owner.email) : await getUserRow(ctx, owner.userId);
  assertUserActive(user);
  const userRole = Role.parse(user.role);
  const cap = opts.cap ? lowerRole(opts.cap, userRole) : userRole;
  const role = opts.role ?? cap;
  if (!roleAtLeast(cap, role)) {
    const limit = cap === userRole ? "the user's role" : "the role this request acts with";
    throw new HoldfastError("API_TOKEN_ROLE_TOO_HIGH", `An API token for ${user.email} may have at most the ${cap} role (${limit}), not ${role}`, { role, userRole: cap });
  }
  const token = newSecret(API_TOKEN_PREFIX);
  const { db, t } = ctx.database;
  const rows = await db
    .insert(t.apiTokens)
    .values({ id: newId("tok"), userId: user.id, tokenHash: sha256Hex(token), createdAt: ctx.clock.now().getTime(), name: opts.name ?? DEFAULT_API_TOKEN_NAME, role, tokenPrefix: token.slice(0, SHOWN_PREFIX_LENGTH) })
    .returning();
  return { ...toApiTokenView(rows[0]!, { email: user.email, role: userRole }), token };
}

/**
 * The user behind a bearer token, acting with the lower of the token's role and the user's current
 * one (so demoting a user demotes their tokens at once), or UNAUTHENTICATED for an unknown or
 * revoked token, USER_DISABLED for a disabled user. Records the token's last use, at most once per
 * LAST_USE_RESOLUTION_MS.
 */
export async function resolveApiToken(ctx: DbContext, token: string): Promise<AuthenticatedUser> {
  const refused = new HoldfastError("UNAUTHENTICATED", "Missing or invalid API token");
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) throw refused;
  const hash = sha256Hex(token);
  const { db, t } = ctx.database;
  const rows = await db
    .select({
      tokenId: t.apiTokens.id,
      tokenHash: t.apiTokens.tokenHash,
      tokenRole: t.apiTokens.role,
      lastUsedAt: t.apiTokens.lastUsedAt,
      id: t.users.id,
      email: t.users.email,
      role: t.users.role,
      disabledAt: t.users.disabledAt,
    })
    .from(t.apiTokens)
    .innerJoin(t.users, eq(t.users.id, t.apiTokens.userId))
    .where(and(eq(t.apiTokens.tokenHash, hash), isNull(t.apiTokens.revokedAt)))
    .limit(1);
  const row = rows[0];
  // The lookup is by hash; the compare is belt and braces against a collation surprise.
  const user = signedInUser(row && constantTimeEqual(row.tokenHash, hash) ? row : undefined, refused, { kind: "api-token", id: row?.tokenId ?? "" }, row ? effectiveRole(row.tokenRole, Role.parse(row.role)) : undefined);
  const now = ctx.clock.now().getTime();
  if (row!.lastUsedAt === null || now - row!.lastUsedAt >= LAST_USE_RESOLUTION_MS) {
    const stale = or(isNull(t.apiTokens.lastUsedAt), lt(t.apiTokens.lastUsedAt, now - LAST_USE_RESOLUTION_MS + 1));
    await db.update(t.apiTokens).set({ lastUsedAt: now }).where(and(eq(t.apiTokens.id, user.credential.id), stale));
  }
  return user;
}
