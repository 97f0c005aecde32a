import { HoldfastError, newId } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { constantTimeEqual, newSecret, sha256Hex } from "../crypto.js";
import type { UserView } from "./create-user.js";
import { getUserByEmail } from "./find-user.js";
import { signedInUser } from "./signed-in-user.js";

export const API_TOKEN_PREFIX = "hf_api_";

/** Creates an API token for the user; the token is returned once and stored only as its SHA-256. */
export async function createApiToken(ctx: DbContext, email: string): Promise<{ id: string; token: string }> {
  const user = await getUserByEmail(ctx, email);
  const token = newSecret(API_TOKEN_PREFIX);
  const id = newId("tok");
  const { db, t } = ctx.database;
  await db.insert(t.apiTokens).values({ id, userId: user.id, tokenHash: sha256Hex(token), createdAt: ctx.clock.now().getTime() });
  return { id, token };
}

/** The user behind a bearer token, or UNAUTHENTICATED. */
export async function resolveApiToken(ctx: DbContext, token: string): Promise<UserView> {
  const refused = new HoldfastError("UNAUTHENTICATED", "Missing or invalid API token");
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) throw refused;
  const hash = sha256Hex(token);
  const { db, t } = ctx.database;
  const rows = await db
    .select({ tokenId: t.apiTokens.id, tokenHash: t.apiTokens.tokenHash, id: t.users.id, email: t.users.email, role: t.users.role })
    .from(t.apiTokens)
    .innerJoin(t.users, eq(t.users.id, t.apiTokens.userId))
    .where(eq(t.apiTokens.tokenHash, hash))
    .limit(1);
  const row = rows[0];
  // The lookup is by hash; the compare is belt and braces against a collation surprise.
  if (!row || !constantTimeEqual(row.tokenHash, hash)) throw refused;
  const user = signedInUser(row, refused);
  await db.update(t.apiTokens).set({ lastUsedAt: ctx.clock.now().getTime() }).where(eq(t.apiTokens.id, row.tokenId));
  return user;
}
