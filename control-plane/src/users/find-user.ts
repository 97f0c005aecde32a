import { HoldfastError, Role } from "@holdfast/shared";
import { asc, eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { toUserRecord, type UserRecord, type UserRow, type UserView } from "./user-record.js";

/** The user with this e-mail, or USER_NOT_FOUND. */
export async function getUserByEmail(ctx: DbContext, email: string): Promise<UserView & { passwordHash: string; disabledAt: number | null }> {
  const { db, t } = ctx.database;
  const rows = await db.select().from(t.users).where(eq(t.users.email, email.toLowerCase())).limit(1);
  const row = rows[0];
  if (!row) throw new HoldfastError("USER_NOT_FOUND", `No user with e-mail ${email}`);
  return { id: row.id, email: row.email, role: Role.parse(row.role), passwordHash: row.passwordHash, disabledAt: row.disabledAt };
}

/** The user's row, or USER_NOT_FOUND. */
export async function getUserRow(ctx: DbContext, userId: string): Promise<UserRow> {
  const { db, t } = ctx.database;
  const rows = await db.select().from(t.users).where(eq(t.users.id, userId)).limit(1);
  const row = rows[0];
  if (!row) throw new HoldfastError("USER_NOT_FOUND", `No user with id ${userId}`, { userId });
  return row;
}

export async function getUser(ctx: DbContext, userId: string): Promise<UserRecord> {
  return toUserRecord(await getUserRow(ctx, userId));
}

/** Every user, by e-mail. A deployment has tens of users, not thousands: one page. */
export async function listUsers(ctx: DbContext): Promise<UserRecord[]> {
  const { db, t } = ctx.database;
  return (await db.select().from(t.users).orderBy(asc(t.users.email))).map(toUserRecord);
}
