import {
  ENROLL_POP,
  enrollmentTokenHash,
  type EnrollRequest,
  type EnrollResponse,
  HoldfastError,
  newId,
} from "@holdfast/shared";
import { and, eq, gt, isNull } from "drizzle-orm";
import { calculateJwkThumbprint, importJWK, jwtVerify } from "jose";
import type { DbContext } from "../context.js";
import { constantTimeEqual } from "../crypto.js";

/** Checks the proof of possession: signed by the presented key, for enrollment, over this token. */
async function verifyPop(req: EnrollRequest, tokenHash: string, now: Date): Promise<void> {
  const refused = new HoldfastError("AGENT_CREDENTIALS_INVALID", "The proof of possession of the agent key was refused");
  try {
    const key = await importJWK({ ...req.publicKeyJwk }, ENROLL_POP.alg);
    const { payload } = await jwtVerify(req.pop, key, {
      algorithms: [ENROLL_POP.alg],
      typ: ENROLL_POP.typ,
      audience: ENROLL_POP.audience,
      maxTokenAge: `${ENROLL_POP.lifetimeSeconds}s`,
      clockTolerance: "30s",
      requiredClaims: ["iat", "exp", "tokenHash"],
      currentDate: now,
    });
    if (typeof payload.tokenHash !== "string" || !constantTimeEqual(payload.tokenHash, tokenHash)) throw refused;
  } catch {
    throw refused;
  }
}

/**
 * Enrolls an agent (docs/link.md §1). The pop is checked before the token is touched, so a bad
 * request does not burn it. The token is then consumed by one conditional UPDATE: of any number of
 * concurrent requests exactly one gets a row back. Only that winner inserts the agent; if the insert
 * fails (the key is already enrolled), the token is released again so the operator can reuse it.
 * A crash between the two leaves a used token and no agent: it fails closed.
 */
export async function enrollAgent(ctx: DbContext, req: EnrollRequest): Promise<EnrollResponse> {
  const now = ctx.clock.now();
  const tokenHash = await enrollmentTokenHash(req.token);
  await verifyPop(req, tokenHash, now);

  const keyId = await calculateJwkThumbprint({ ...req.publicKeyJwk }, "sha256");
  const { db, t } = ctx.database;
  const agentId = newId("agt");
  const name = req.name ?? req.hostname;

  const claimed = await db
    .update(t.enrollmentTokens)
    .set({ usedAt: now.getTime(), usedByAgentId: agentId })
    .where(
      and(
        eq(t.enrollmentTokens.tokenHash, tokenHash),
        isNull(t.enrollmentTokens.usedAt),
        isNull(t.enrollmentTokens.revokedAt),
        gt(t.enrollmentTokens.expiresAt, now.getTime()),
      ),
    )
    .returning({ id: t.enrollmentTokens.id });
  const token = claimed[0];
  if (!token) throw new HoldfastError("ENROLLMENT_TOKEN_INVALID", "The enrollment token is unknown, used, revoked or expired");

  const inserted = await db
    .insert(t.agents)
    .values({
      id: agentId,
      name,
      hostname: req.hostname,
      keyId,
      publicKeyJwk: JSON.stringify(req.publicKeyJwk),
      status: "offline",
      version: req.agentVersion,
      lastAckedSequence: 0,
      createdAt: now.getTime(),
    })
    .onConflictDoNothing()
    .returning({ id: t.agents.id })
    .catch(async (err: unknown) => {
      await releaseToken(ctx, token.id, agentId);
      throw err;
    });
  if (!inserted[0]) {
    await releaseToken(ctx, token.id, agentId);
    throw new HoldfastError("ALREADY_EXISTS", "This key is already enrolled; generate a new key pair", { keyId });
  }
  return { agentId, keyId, name };
}

async function releaseToken(ctx: DbContext, tokenId: string, agentId: string): Promise<void> {
  const { db, t } = ctx.database;
  await db
    .update(t.enrollmentTokens)
    .set({ usedAt: null, usedByAgentId: null })
    .where(and(eq(t.enrollmentTokens.id, tokenId), eq(t.enrollmentTokens.usedByAgentId, agentId)));
}
