import { HoldfastError, newId, type SessionView, type SignInBody } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.js";
import { newSecret, sha256Hex } from "../crypto.js";
import { refuseDisabledPasswordSignIn } from "../sso/settings.js";
import type { UserView } from "../users/user-record.js";
import { verifyPassword } from "../users/verify-password.js";
import { type SessionContext, pruneSessions, type ResolvedSession, sessionEnds } from "./resolve-session.js";
import { csrfTokenFor, SESSION_TOKEN_PREFIX } from "./session-token.js";
import { forgetAccountFailures, lockKeys, pruneFailures, recordFailure, refuseIfLocked } from "./sign-in-lock.js";

export interface SignedIn {
  /** The cookie's value: returned once, stored only as its SHA-256. */
  token: string;
  view: SessionView;
}

/**
 * Checks e-mail and password and opens a session. Refused: SIGN_IN_LOCKED while the e-mail or the
 * address is locked (checked again once the password check's turn comes, so a queued burst stops at
 * the lock), INVALID_CREDENTIALS for a wrong password or an unknown e-mail alike, each failure counted.
 */
export async function signIn(ctx: SessionContext, body: SignInBody, address: string, requestId?: string): Promise<SignedIn> {
  const audit = { action: "session.signIn", clientAddress: address, requestId: requestId ?? null };
  try {
    const signedIn = await openSession(ctx, body, address);
    const { user } = signedIn.view as Extract<SessionView, { via: "session" }>;
    await recordAudit(ctx, { ...audit, actor: { userId: user.id, email: user.email, credential: "session" }, status: 201 });
    return signedIn;
  } catch (err) {
    if (err instanceof HoldfastError) {
      // Never the e-mail as typed (people type passwords into that box): the account's id when one has that e-mail.
      const { db, t } = ctx.database;
      const [known] = await db.select({ id: t.users.id }).from(t.users).where(eq(t.users.email, body.email)).limit(1);
      await recordAudit(ctx, { ...audit, actor: null, target: known ? { userId: known.id } : {}, status: err.status, errorCode: err.code });
    }
    throw err;
  }
}

async function openSession(ctx: SessionContext, body: SignInBody, address: string): Promise<SignedIn> {
  const keys = lockKeys(body.email, address);
  await refuseIfLocked(ctx, keys);
  // Sign-ins are rare and every row they create ends within a day: pruning at each one that is not
  // refused outright keeps both tables bounded without a timer of its own.
  await Promise.all([pruneSessions(ctx), pruneFailures(ctx)]);
  await refuseDisabledPasswordSignIn(ctx, body.email);
  // A refusal is logged once, on the request's access line (its code and address); a lock that starts, here.
  const user = await verifyPassword(ctx, body.email, body.password, {
    before: () => refuseIfLocked(ctx, keys),
    after: (ok) => (ok ? forgetAccountFailures(ctx, keys) : recordFailure(ctx, keys)),
  });
  return startSession(ctx, user, address);
}

/** Opens a session for a user whose sign-in (a password, or single sign-on) succeeded. */
export async function startSession(ctx: SessionContext, user: UserView, address: string, via = "password"): Promise<SignedIn> {
  const token = newSecret(SESSION_TOKEN_PREFIX);
  const now = ctx.clock.now().getTime();
  const session = { id: newId("ses"), createdAt: now, lastSeenAt: now };
  const { db, t } = ctx.database;
  await db.insert(t.sessions).values({ ...session, userId: user.id, tokenHash: sha256Hex(token) });
  ctx.log.info({ userId: user.id, sessionId: session.id, address, via }, "signed in");
  return { token, view: sessionView(ctx, token, { user: { ...user, credential: { kind: "session", id: session.id } }, session }) };
}

/** What GET /session says about a cookie session. */
export function sessionView(ctx: Pick<SessionContext, "env">, token: string, { user, session }: ResolvedSession): SessionView {
  const ends = sessionEnds(ctx, session);
  return {
    signedIn: true,
    via: "session",
    user: { id: user.id, email: user.email, role: user.role },
    csrfToken: csrfTokenFor(token),
    expiresAt: new Date(ends.at).toISOString(),
    maxExpiresAt: new Date(ends.max).toISOString(),
  };
}
