import { randomBytes } from "node:crypto";
import { CreateUserBody, HoldfastError, newId, parseOrThrow } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { hashPassword } from "./password.js";
import { toUserRecord, type UserRecord } from "./user-record.js";

export type { UserView } from "./user-record.js";

/** 18 random bytes: 24 characters to read out or paste, 144 bits no one guesses. */
export function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

/** A user just made, and the password generated for them (null when one was given): shown once. */
export interface CreatedUser {
  user: UserRecord;
  generatedPassword: string | null;
}

/** Creates a user; without a password, generates one. ALREADY_EXISTS when the e-mail is taken. */
export async function createUser(ctx: DbContext, input: CreateUserBody): Promise<CreatedUser> {
  const { email, role, password } = parseOrThrow(CreateUserBody, input, "user");
  const generatedPassword = password === undefined ? generatePassword() : null;
  const { db, t } = ctx.database;
  const rows = await db
    .insert(t.users)
    .values({ id: newId("usr"), email, role, passwordHash: await hashPassword(password ?? generatedPassword!), createdAt: ctx.clock.now().getTime() })
    .onConflictDoNothing()
    .returning();
  const row = rows[0];
  if (!row) {
    const existing = await db.select({ id: t.users.id }).from(t.users).where(eq(t.users.email, email)).limit(1);
    throw new HoldfastError("ALREADY_EXISTS", `A user with e-mail ${email} exists: use another address, or change that user`, { email, userId: existing[0]?.id });
  }
  return { user: toUserRecord(row), generatedPassword };
}
