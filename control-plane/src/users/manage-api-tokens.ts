import { type CreateApiTokenBody, HoldfastError, type ListApiTokensQuery } from "@holdfast/shared";
import { and, asc, eq, isNull, type SQL } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { createApiToken } from "./api-tokens.js";
import { type ApiTokenView, toApiTokenView } from "./api-token-view.js";
import type { UserView } from "./user-record.js";

/** Acting on another user's tokens needs admin; the refusal reads like the route table's. */
function requireAdminFor(actor: UserView, what: string): void {
  if (actor.role !== "admin") throw new HoldfastError("FORBIDDEN", `This needs the admin role; you are ${actor.role} (${what})`, { needed: "admin", role: actor.role });
}

/**
 * `POST /api/v1/api-tokens` as `actor`: a token for themselves, or (admin) for another user. The new
 * token may do at most what the request's own credential may, so a token capped at viewer cannot
 * mint an admin one for its user.
 */
export async function createApiTokenAs(ctx: DbContext, actor: UserView, body: CreateApiTokenBody): Promise<ApiTokenView & { token: string }> {
  const userId = body.userId ?? actor.id;
  if (userId !== actor.id) requireAdminFor(actor, "tokens of other users");
  return createApiToken(ctx, { userId }, { name: body.name, role: body.role, cap: actor.role });
}

/** The unrevoked tokens of `actor`, of one user (`userId`, admin unless it is theirs), or of everyone (`all`, admin). */
export async function listApiTokens(ctx: DbContext, actor: UserView, query: ListApiTokensQuery): Promise<ApiTokenView[]> {
  const everyone = query.all === "true";
  const userId = everyone ? undefined : (query.userId ?? actor.id);
  if (userId !== actor.id) requireAdminFor(actor, "tokens of other users");
  const { db, t } = ctx.database;
  const rows = await db
    .select({ token: t.apiTokens, email: t.users.email, role: t.users.role })
    .from(t.apiTokens)
    .innerJoin(t.users, eq(t.users.id, t.apiTokens.userId))
    .where(and(isNull(t.apiTokens.revokedAt), userId === undefined ? undefined : eq(t.apiTokens.userId, userId)))
    .orderBy(asc(t.users.email), asc(t.apiTokens.createdAt), asc(t.apiTokens.id));
  return rows.map((r) => toApiTokenView(r.token, r));
}

/**
 * Revokes a token: refused from the next request on. One conditional UPDATE: someone else's token
 * (unless `actor` is an admin), an unknown one and a revoked one are all API_TOKEN_NOT_FOUND, so a
 * non-admin learns nothing about tokens that are not theirs. The row stays, for the audit log's
 * references to it.
 */
export async function revokeApiToken(ctx: DbContext, actor: UserView, tokenId: string): Promise<void> {
  const { db, t } = ctx.database;
  const mine: SQL | undefined = actor.role === "admin" ? undefined : eq(t.apiTokens.userId, actor.id);
  const rows = await db
    .update(t.apiTokens)
    .set({ revokedAt: ctx.clock.now().getTime() })
    .where(and(eq(t.apiTokens.id, tokenId), isNull(t.apiTokens.revokedAt), mine))
    .returning({ id: t.apiTokens.id });
  if (!rows[0]) throw new HoldfastError("API_TOKEN_NOT_FOUND", `No API token ${tokenId} to revoke: unknown, already revoked, or not yours`, { tokenId });
}
