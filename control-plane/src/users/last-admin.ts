import { HoldfastError } from "@holdfast/shared";
import { eq, sql, type SQL } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Database } from "../db/index.js";

/**
 * The condition an UPDATE of `users` that takes a row's admin rights away (demote, disable) adds to
 * its WHERE: true unless that row is the last enabled admin. It is part of the one statement, so no
 * read can go stale between the count and the change. On PostgreSQL the enabled admins' rows are
 * locked (FOR UPDATE, in id order, so two statements never wait on each other crosswise): two admins
 * demoting each other at once cannot both pass, the second waits for the first and counts again
 * without it. SQLite runs one write at a time, so it needs no lock.
 */
export function keepsAnEnabledAdmin(database: Database): SQL {
  const lock = database.dialect === "postgres" ? " FOR UPDATE" : "";
  return sql.raw(
    "(users.role <> 'admin' OR users.disabled_at IS NOT NULL OR (SELECT count(*) FROM " +
      `(SELECT a.id FROM users a WHERE a.role = 'admin' AND a.disabled_at IS NULL ORDER BY a.id${lock}) AS enabled_admins) > 1)`,
  );
}

/** Why a guarded UPDATE of this user changed nothing: no such user, or they are the last enabled admin. */
export async function refusalFor(ctx: DbContext, userId: string, doing: string): Promise<HoldfastError> {
  const { db, t } = ctx.database;
  const rows = await db.select({ email: t.users.email }).from(t.users).where(eq(t.users.id, userId)).limit(1);
  const user = rows[0];
  if (!user) return new HoldfastError("USER_NOT_FOUND", `No user with id ${userId}`, { userId });
  return new HoldfastError("LAST_ADMIN", `${user.email} is the last enabled admin and cannot be ${doing}: make another user an admin first`, { userId });
}
