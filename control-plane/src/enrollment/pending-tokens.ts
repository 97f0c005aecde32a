import { HoldfastError } from "@holdfast/shared";
import { and, asc, eq, gt, isNull } from "drizzle-orm";
import type { DbContext } from "../context.js";

/** An enrollment token waiting to be used: never the secret (only its hash is kept anyway). */
export interface PendingEnrollmentToken {
  id: string;
  name: string | null;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string;
}

/** The tokens that could still enroll an agent: unused, unrevoked, unexpired; oldest first. */
export async function listPendingEnrollmentTokens(ctx: DbContext): Promise<PendingEnrollmentToken[]> {
  const { db, t } = ctx.database;
  const e = t.enrollmentTokens;
  const rows = await db
    .select()
    .from(e)
    .where(and(isNull(e.usedAt), isNull(e.revokedAt), gt(e.expiresAt, ctx.clock.now().getTime())))
    .orderBy(asc(e.createdAt), asc(e.id));
  return rows.map((r) => ({ id: r.id, name: r.name, createdBy: r.createdBy, createdAt: new Date(r.createdAt).toISOString(), expiresAt: new Date(r.expiresAt).toISOString() }));
}

/**
 * Revokes an unused token: enrollment refuses it from then on. One conditional UPDATE, so a token
 * being used at the same moment is either revoked before (the enrollment fails) or used before (this
 * answers ENROLLMENT_TOKEN_USED naming the agent, which is what to revoke instead).
 */
export async function revokeEnrollmentToken(ctx: DbContext, tokenId: string): Promise<void> {
  const { db, t } = ctx.database;
  const e = t.enrollmentTokens;
  const rows = await db
    .update(e)
    .set({ revokedAt: ctx.clock.now().getTime() })
    .where(and(eq(e.id, tokenId), isNull(e.usedAt), isNull(e.revokedAt)))
    .returning({ id: e.id });
  if (rows[0]) return;
  const found = (await db.select({ usedByAgentId: e.usedByAgentId, usedAt: e.usedAt }).from(e).where(eq(e.id, tokenId)).limit(1))[0];
  if (found && found.usedAt !== null) {
    throw new HoldfastError("ENROLLMENT_TOKEN_USED", `Enrollment token ${tokenId} already enrolled agent ${found.usedByAgentId}: revoke that agent instead`, { tokenId, agentId: found.usedByAgentId });
  }
  throw new HoldfastError("ENROLLMENT_TOKEN_NOT_FOUND", `No pending enrollment token ${tokenId}: unknown or already revoked`, { tokenId });
}
