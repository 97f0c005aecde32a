import type { SetPasswordBody, UpdateUserBody } from "@holdfast/shared";
import { and, eq, sql } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { generatePassword } from "./create-user.js";
import { getUserRow } from "./find-user.js";
import { keepsAnEnabledAdmin, refusalFor } from "./last-admin.js";
import { hashPassword } from "./password.js";
import { toUserRecord, type UserRecord } from "./user-record.js";

/**
 * Changes a user's role, disables or enables them. A change that would leave no enabled admin is
 * LAST_ADMIN and changes nothing; a disabled user's API tokens (and sessions) are refused from the
 * next request on, since every authentication checks the user (`assertUserActive`).
 */
export async function updateUser(ctx: DbContext, userId: string, change: UpdateUserBody): Promise<UserRecord> {
  const { db, t } = ctx.database;
  const takesAdminAway = (change.role !== undefined && change.role !== "admin") || change.disabled === true;
  const rows = await db
    .update(t.users)
    .set({
      ...(change.role !== undefined ? { role: change.role } : {}),
      // Disabling a disabled user keeps the time it was first disabled.
      ...(change.disabled === true ? { disabledAt: sql`coalesce(${t.users.disabledAt}, ${ctx.clock.now().getTime()})` } : {}),
      ...(change.disabled === false ? { disabledAt: null } : {}),
    })
    .where(and(eq(t.users.id, userId), takesAdminAway ? keepsAnEnabledAdmin(ctx.database) : undefined))
    .returning();
  const row = rows[0];
  if (!row) throw await refusalFor(ctx, userId, change.disabled === true ? "disabled" : "demoted");
  return toUserRecord(row);
}

/**
 * Sets a user's password, or generates one (answered once). The user's browser sessions end (a
 * password is reset because it leaked or was forgotten: whoever signed in with the old one is out);
 * their API tokens stay valid (revoked one by one where that is the point).
 */
export async function setPassword(ctx: DbContext, userId: string, body: SetPasswordBody): Promise<{ user: UserRecord; generatedPassword: string | null }> {
  await getUserRow(ctx, userId);
  const generatedPassword = body.password === undefined ? generatePassword() : null;
  const passwordHash = await hashPassword(body.password ?? generatedPassword!);
  const { db, t } = ctx.database;
  const rows = await db.update(t.users).set({ passwordHash }).where(eq(t.users.id, userId)).returning();
  await db.delete(t.sessions).where(eq(t.sessions.userId, userId));
  // No row: the user was deleted meanwhile, and getUserRow says so.
  return { user: toUserRecord(rows[0] ?? (await getUserRow(ctx, userId))), generatedPassword };
}

/**
 * Deletes a user and their API tokens. Without transactions (db/README.md) it goes in steps that
 * fail closed: the user is first disabled by the same guarded statement as a demotion (so the last
 * enabled admin is refused before anything changes), then their tokens go, then the user.
 */
export async function deleteUser(ctx: DbContext, userId: string): Promise<void> {
  const { db, t } = ctx.database;
  const disabled = await db
    .update(t.users)
    .set({ disabledAt: sql`coalesce(${t.users.disabledAt}, ${ctx.clock.now().getTime()})` })
    .where(and(eq(t.users.id, userId), keepsAnEnabledAdmin(ctx.database)))
    .returning({ id: t.users.id });
  if (!disabled[0]) throw await refusalFor(ctx, userId, "deleted");
  await db.delete(t.apiTokens).where(eq(t.apiTokens.userId, userId));
  await db.delete(t.users).where(eq(t.users.id, userId));
}
