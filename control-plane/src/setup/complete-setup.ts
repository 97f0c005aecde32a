import { HoldfastError, type SetupBody } from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { sha256Hex } from "../crypto.js";
import { createUser } from "../users/create-user.js";
import type { UserView } from "../users/user-record.js";
import { anyUserExists } from "./setup-token.js";

const done = () => new HoldfastError("SETUP_ALREADY_DONE", "The first admin exists already: sign in (POST /api/v1/session), or ask an admin for an account");

/**
 * Creates the first admin with the setup token. Once any user exists: SETUP_ALREADY_DONE, for ever.
 * Two setups racing with the token: the first to claim it (one `UPDATE … WHERE claimed_at IS NULL
 * RETURNING`) creates the admin, the other is told setup is done; a wrong token is
 * SETUP_TOKEN_INVALID and changes nothing.
 */
export async function completeSetup(ctx: DbContext, body: SetupBody): Promise<UserView> {
  if (await anyUserExists(ctx)) throw done();
  const { db, t } = ctx.database;
  const hash = sha256Hex(body.token);
  const now = ctx.clock.now().getTime();
  const claimed = await db
    .update(t.setupTokens)
    .set({ claimedAt: now })
    .where(and(eq(t.setupTokens.tokenHash, hash), isNull(t.setupTokens.claimedAt)))
    .returning({ id: t.setupTokens.id });
  const claim = claimed[0];
  if (!claim) {
    const known = await db.select({ id: t.setupTokens.id }).from(t.setupTokens).where(eq(t.setupTokens.tokenHash, hash)).limit(1);
    if (known.length > 0 || (await anyUserExists(ctx))) throw done();
    throw new HoldfastError("SETUP_TOKEN_INVALID", "This setup token is not the current one: open the setup URL the latest `holdfast serve` printed on its stderr (each start replaces it)");
  }
  let admin: UserView;
  try {
    admin = (await createUser(ctx, { email: body.email, role: "admin", password: body.password })).user;
  } catch (err) {
    // Nothing was created: the token works again.
    await db.update(t.setupTokens).set({ claimedAt: null }).where(eq(t.setupTokens.id, claim.id));
    throw err;
  }
  await db.delete(t.setupTokens).where(eq(t.setupTokens.id, claim.id));
  return admin;
}
