import { HoldfastError } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import { getUserByEmail } from "./find-user.js";
import { type HashGuard, UNMATCHABLE_PASSWORD_HASH, verifyPasswordHash } from "./password.js";
import { signedInUser } from "./signed-in-user.js";
import type { UserView } from "./user-record.js";

/**
 * The user when the password matches; INVALID_CREDENTIALS otherwise, the same for an unknown e-mail
 * and a wrong password so the answer does not reveal which accounts exist: an unknown e-mail's
 * password goes through the same scrypt, against a hash nothing matches, so it takes as long.
 * `guard` runs in the hash's slot (password.ts); its `after` learns whether the sign-in succeeded.
 */
export async function verifyPassword(ctx: DbContext, email: string, password: string, guard?: HashGuard): Promise<UserView> {
  const user = await getUserByEmail(ctx, email).catch((err: unknown) => {
    if (err instanceof HoldfastError && err.code === "USER_NOT_FOUND") return null;
    throw err;
  });
  const matches = await verifyPasswordHash(password, user?.passwordHash ?? UNMATCHABLE_PASSWORD_HASH, guard && {
    before: () => guard.before(),
    after: (hashMatches) => guard.after(hashMatches && user !== null),
  });
  const refusal = new HoldfastError("INVALID_CREDENTIALS", "Wrong e-mail or password");
  // The credential is the password itself; the session made from it carries its own id.
  const { credential: _password, ...signedIn } = signedInUser(matches ? (user ?? undefined) : undefined, refusal, { kind: "session", id: "" });
  return signedIn;
}
