import { Email, HoldfastError, NewPassword, newId, parseOrThrow, Role } from "@holdfast/shared";
import { z } from "zod";
import type { DbContext } from "../context.js";
import { hashPassword } from "./password.js";

export const CreateUserInput = z.object({
  email: Email,
  role: Role,
  password: NewPassword,
});
export type CreateUserInput = z.input<typeof CreateUserInput>;

export interface UserView {
  id: string;
  email: string;
  role: Role;
}

/** Creates a user; ALREADY_EXISTS when the e-mail is taken. */
export async function createUser(ctx: DbContext, input: CreateUserInput): Promise<UserView> {
  const { email, role, password } = parseOrThrow(CreateUserInput, input, "user");
  const { db, t } = ctx.database;
  const rows = await db
    .insert(t.users)
    .values({ id: newId("usr"), email, role, passwordHash: await hashPassword(password), createdAt: ctx.clock.now().getTime() })
    .onConflictDoNothing()
    .returning({ id: t.users.id });
  const row = rows[0];
  if (!row) throw new HoldfastError("ALREADY_EXISTS", `A user with e-mail ${email} exists`, { email });
  return { id: row.id, email, role };
}
