import { HoldfastError } from "@holdfast/shared";
import { eq, lt, or } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { sha256Hex } from "../crypto.js";
import type { AuthenticatedUser } from "../users/authenticated-user.js";
import { signedInUser } from "../users/signed-in-user.js";
import { looksLikeSessionToken } from "./session-token.js";

export type SessionContext = Pick<AppContext, "database" | "clock" | "env" | "log">;

/** `last_seen_at` is written at most this often: a session in use costs one write a minute, not one per request. */
export const TOUCH_INTERVAL_MS = 60_000;

export interface SessionTimes {
  createdAt: number;
  lastSeenAt: number;
}

/** When the session ends if left idle from now on, and at the latest. */
export function sessionEnds(ctx: Pick<SessionContext, "env">, s: SessionTimes): { idle: number; max: number; at: number } {
  const idle = s.lastSeenAt + ctx.env.sessionIdleMs;
  const max = s.createdAt + ctx.env.sessionMaxMs;
  return { idle, max, at: Math.min(idle, max) };
}

export interface ResolvedSession {
  user: AuthenticatedUser;
  session: SessionTimes & { id: string };
}

/**
 * The user behind a session cookie, or SESSION_EXPIRED: an unknown value, a session signed out,
 * idle too long, past its maximum age, or whose user is gone. An ended session's row is deleted.
 */
export async function resolveSession(ctx: SessionContext, token: string): Promise<ResolvedSession> {
  const unknown = new HoldfastError("SESSION_EXPIRED", "This session has ended or is unknown: sign in again (POST /api/v1/session)");
  if (!looksLikeSessionToken(token)) throw unknown;
  const { db, t } = ctx.database;
  const rows = await db
    .select({ sessionId: t.sessions.id, createdAt: t.sessions.createdAt, lastSeenAt: t.sessions.lastSeenAt, id: t.users.id, email: t.users.email, role: t.users.role, disabledAt: t.users.disabledAt })
    .from(t.sessions)
    // An inner join: the session of a user who no longer exists is no session.
    .innerJoin(t.users, eq(t.users.id, t.sessions.userId))
    .where(eq(t.sessions.tokenHash, sha256Hex(token)))
    .limit(1);
  const row = rows[0];
  if (!row) throw unknown;
  const now = ctx.clock.now().getTime();
  const ends = sessionEnds(ctx, row);
  if (now >= ends.at) {
    await db.delete(t.sessions).where(eq(t.sessions.id, row.sessionId));
    const why = ends.at === ends.max ? `it is older than ${ctx.env.sessionMaxMs / 3_600_000} h` : `it was idle for more than ${ctx.env.sessionIdleMs / 60_000} min`;
    throw new HoldfastError("SESSION_EXPIRED", `Your session has ended (${why}): sign in again (POST /api/v1/session)`);
  }
  const user = signedInUser(row, unknown, { kind: "session", id: row.sessionId });
  let lastSeenAt = row.lastSeenAt;
  if (now - lastSeenAt >= TOUCH_INTERVAL_MS) {
    await db.update(t.sessions).set({ lastSeenAt: now }).where(eq(t.sessions.id, row.sessionId));
    lastSeenAt = now;
  }
  return { user, session: { id: row.sessionId, createdAt: row.createdAt, lastSeenAt } };
}

/** Signs the session out: its row is deleted, so the cookie is worthless even if kept. */
export async function endSession(ctx: Pick<SessionContext, "database">, token: string): Promise<boolean> {
  const { db, t } = ctx.database;
  const gone = await db.delete(t.sessions).where(eq(t.sessions.tokenHash, sha256Hex(token))).returning({ id: t.sessions.id });
  return gone.length > 0;
}

/** Deletes sessions that ended (idle or past their maximum age). */
export async function pruneSessions(ctx: SessionContext): Promise<void> {
  const { db, t } = ctx.database;
  const now = ctx.clock.now().getTime();
  await db.delete(t.sessions).where(or(lt(t.sessions.lastSeenAt, now - ctx.env.sessionIdleMs), lt(t.sessions.createdAt, now - ctx.env.sessionMaxMs)));
}
