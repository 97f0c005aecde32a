import { HoldfastError, Role } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { UserView } from "./create-user.js";

/** The user with this e-mail, or USER_NOT_FOUND. */
export async function getUserByEmail(ctx: DbContext, email: string): Promise<UserView & { passwordHash: string }> {
  const { db, t } = ctx.database;
  const rows = await db.select().from(t.users).where(eq(t.users.email, email.toLowerCase())).limit(1);
  const row = rows[0];
  if (!row) throw new HoldfastError("USER_NOT_FOUND", `No user with e-mail ${email}`);
  return { id: row.id, email: row.email, role: Role.parse(row.role), passwordHash: row.passwordHash };
}
