import { HoldfastError } from "@holdfast/shared";
import type { DbContext } from "../context.js";
import type { UserView } from "./create-user.js";
import { getUserByEmail } from "./find-user.js";
import { verifyPasswordHash } from "./password.js";

/**
 * The user when the password matches; UNAUTHENTICATED otherwise, the same for an unknown e-mail
 * and a wrong password so the answer does not reveal which accounts exist.
 */
export async function verifyPassword(ctx: DbContext, email: string, password: string): Promise<UserView> {
  const refused = new HoldfastError("UNAUTHENTICATED", "Wrong e-mail or password");
  const user = await getUserByEmail(ctx, email).catch(() => null);
  if (!user || !(await verifyPasswordHash(password, user.passwordHash))) throw refused;
  return { id: user.id, email: user.email, role: user.role };
}
