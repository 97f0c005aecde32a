import { HoldfastError } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import type { UserView } from "./create-user.js";
import { getUserByEmail } from "./find-user.js";
import { UNMATCHABLE_PASSWORD_HASH, verifyPasswordHash } from "./password.js";

/**
 * The user when the password matches; UNAUTHENTICATED otherwise, the same for an unknown e-mail
 * and a wrong password so the answer does not reveal which accounts exist: an unknown e-mail's
 * password goes through the same scrypt, against a hash nothing matches, so it takes as long.
 */
export async function verifyPassword(ctx: DbContext, email: string, password: string): Promise<UserView> {
  const user = await getUserByEmail(ctx, email).catch((err: unknown) => {
    if (err instanceof HoldfastError && err.code === "USER_NOT_FOUND") return null;
    throw err;
  });
  const matches = await verifyPasswordHash(password, user?.passwordHash ?? UNMATCHABLE_PASSWORD_HASH);
  if (!user || !matches) throw new HoldfastError("UNAUTHENTICATED", "Wrong e-mail or password");
  return { id: user.id, email: user.email, role: user.role };
}
