import { HoldfastError } from "@holdfast/shared";
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { AppContext } from "../context.js";

/**
 * Failed sign-ins lock further tries for a growing while: per e-mail (as typed, whether or not the
 * account exists, so neither the answer nor the lock tells an attacker which accounts exist) and per
 * client address across e-mails (password spraying tries one password on many accounts). Counters
 * live in the database, timed by the context's clock: a restart does not reset them and replicas will
 * share them. Rules and reasons: docs/decisions.md ("Sign-in lock-out").
 */

export type LockContext = Pick<AppContext, "database" | "clock" | "env" | "log">;

/** The first lock; each further failure doubles it, up to `MAX_LOCK_MS`. */
export const FIRST_LOCK_MS = 60_000;
export const MAX_LOCK_MS = 3_600_000;
/** A counter with no failure for this long starts again from zero (longer than the longest lock). */
export const FORGET_FAILURES_MS = 24 * 3_600_000;

export interface LockKeys {
  account: string;
  address: string;
}

export function lockKeys(email: string, address: string): LockKeys {
  return { account: `account:${email}`, address: `address:${address}` };
}

/** The lock after `failures` failures against a threshold: none below it, then 1 min, 2, 4 … 60 min. */
export function lockMsAfter(failures: number, threshold: number): number {
  if (failures < threshold) return 0;
  return Math.min(FIRST_LOCK_MS * 2 ** Math.min(failures - threshold, 32), MAX_LOCK_MS);
}

/** SIGN_IN_LOCKED while either key is locked; one answer for both, so it reveals nothing about the account. */
export async function refuseIfLocked(ctx: LockContext, keys: LockKeys): Promise<void> {
  const { db, t } = ctx.database;
  const now = ctx.clock.now().getTime();
  const rows = await db
    .select({ lockedUntil: t.signInFailures.lockedUntil })
    .from(t.signInFailures)
    .where(inArray(t.signInFailures.key, [keys.account, keys.address]));
  const until = Math.max(0, ...rows.map((r) => r.lockedUntil ?? 0));
  if (until <= now) return;
  const retryAfterSeconds = Math.ceil((until - now) / 1000);
  throw new HoldfastError("SIGN_IN_LOCKED", `Too many failed sign-ins for this e-mail or from this address: try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
}

/** Counts a failure against both keys and locks each that reached its threshold. */
export async function recordFailure(ctx: LockContext, keys: LockKeys): Promise<void> {
  await Promise.all([
    countFailure(ctx, keys.account, ctx.env.signInAccountFailures),
    countFailure(ctx, keys.address, ctx.env.signInAddressFailures),
  ]);
}

async function countFailure(ctx: LockContext, key: string, threshold: number): Promise<void> {
  const { db, t } = ctx.database;
  const f = t.signInFailures;
  const now = ctx.clock.now().getTime();
  // One statement, so concurrent failures each count: a stale counter starts again at 1.
  const [row] = await db
    .insert(f)
    .values({ key, failures: 1, lastFailureAt: now, lockedUntil: null })
    .onConflictDoUpdate({
      target: f.key,
      set: { failures: sql`case when ${f.lastFailureAt} < ${now - FORGET_FAILURES_MS} then 1 else ${f.failures} + 1 end`, lastFailureAt: now },
    })
    .returning({ failures: f.failures });
  const failures = row?.failures ?? 1;
  const lockMs = lockMsAfter(failures, threshold);
  if (lockMs === 0) return;
  // Never shortens a lock: a failure counted meanwhile may have set its own, longer one already.
  const until = now + lockMs;
  await db
    .update(f)
    .set({ lockedUntil: sql`case when ${f.lockedUntil} > ${until} then ${f.lockedUntil} else ${until} end` })
    .where(eq(f.key, key));
  ctx.log.warn({ key, failures, lockedSeconds: lockMs / 1000 }, "sign-in locked");
}

/** A successful sign-in forgets the account's failures (not the address's: one good account must not reset a spray). */
export async function forgetAccountFailures(ctx: LockContext, keys: LockKeys): Promise<void> {
  const { db, t } = ctx.database;
  await db.delete(t.signInFailures).where(eq(t.signInFailures.key, keys.account));
}

/** Removes counters forgotten anyway (no failure for a day, no lock running). */
export async function pruneFailures(ctx: LockContext): Promise<void> {
  const { db, t } = ctx.database;
  const f = t.signInFailures;
  const now = ctx.clock.now().getTime();
  await db.delete(f).where(and(lt(f.lastFailureAt, now - FORGET_FAILURES_MS), or(isNull(f.lockedUntil), lt(f.lockedUntil, now))));
}
