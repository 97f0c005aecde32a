import { HoldfastError } from "@holdfast/shared";
import { and, eq, lt } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { type BucketLimit, retryAfterSeconds, takeFromBucket } from "./token-bucket.js";

export type RateLimitContext = Pick<AppContext, "database" | "clock">;

/** Concurrent requests on one key retry their compare-and-set this often before being refused. */
const MAX_RACES = 5;

/**
 * Takes one request from the bucket `key` in the database, or throws RATE_LIMITED with
 * `retryAfterSeconds` (the error renderer turns it into `Retry-After`). The row is changed only if it
 * still holds what was read (compare-and-set), so replicas sharing the database share the bucket.
 */
export async function takeToken(ctx: RateLimitContext, key: string, limit: BucketLimit, what: string): Promise<void> {
  if (limit.perMinute === 0) return;
  const { db, t } = ctx.database;
  const r = t.rateLimits;
  for (let race = 0; race < MAX_RACES; race++) {
    const now = ctx.clock.now().getTime();
    const [row] = await db.select({ tat: r.tat }).from(r).where(eq(r.key, key));
    const decision = takeFromBucket(row?.tat ?? null, now, limit);
    if (!decision.allowed) throw refused(what, decision.retryAfterMs);
    const written = row
      ? await db.update(r).set({ tat: decision.fullAt }).where(and(eq(r.key, key), eq(r.tat, row.tat))).returning({ key: r.key })
      : await db.insert(r).values({ key, tat: decision.fullAt }).onConflictDoNothing().returning({ key: r.key });
    if (written.length > 0) return;
  }
  throw refused(what, 60_000 / limit.perMinute);
}

function refused(what: string, retryAfterMs: number): HoldfastError {
  const seconds = retryAfterSeconds(retryAfterMs);
  return new HoldfastError("RATE_LIMITED", `Too many ${what}: try again in ${seconds} s`, { retryAfterSeconds: seconds });
}

/** Removes full buckets (their time has passed): a missing row is a full bucket anyway. */
export async function pruneRateLimits(ctx: RateLimitContext): Promise<number> {
  const { db, t } = ctx.database;
  const gone = await db.delete(t.rateLimits).where(lt(t.rateLimits.tat, ctx.clock.now().getTime())).returning({ key: t.rateLimits.key });
  return gone.length;
}
