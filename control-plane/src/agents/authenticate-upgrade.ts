import type { IncomingHttpHeaders } from "node:http";
import { AGENT_JWT, HoldfastError } from "@holdfast/shared";
import { and, eq, lt } from "drizzle-orm";
import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import type { DbContext } from "../context.js";

/** How long a jti must be remembered: past this the token itself is refused as too old. */
const JTI_TTL_MS = (AGENT_JWT.lifetimeSeconds + AGENT_JWT.clockToleranceSeconds) * 1000;

/**
 * Authenticates an agent's WebSocket upgrade request (docs/link.md §2), before any socket exists.
 * Resolves the agent id; throws AGENT_CREDENTIALS_INVALID (401) or AGENT_REVOKED (403).
 */
export async function authenticateAgentUpgrade(ctx: DbContext, headers: IncomingHttpHeaders): Promise<{ agentId: string }> {
  const refused = (why: string) => new HoldfastError("AGENT_CREDENTIALS_INVALID", `Agent credentials refused: ${why}`);
  const auth = headers.authorization;
  const jwt = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : undefined;
  if (!jwt || jwt.length > 4096) throw refused("no bearer token");

  // The header is read only to find the key; nothing in it is trusted until the signature checks.
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(jwt).kid;
  } catch {
    throw refused("malformed token");
  }
  if (typeof kid !== "string" || kid.length === 0 || kid.length > 128) throw refused("no key id");

  const { db, t } = ctx.database;
  const agent = (await db.select().from(t.agents).where(eq(t.agents.keyId, kid)).limit(1))[0];
  if (!agent) throw refused("unknown key");
  if (agent.status === "revoked") throw new HoldfastError("AGENT_REVOKED", "This agent was revoked", { agentId: agent.id });

  const now = ctx.clock.now();
  let jti: string;
  let iat: number;
  try {
    const key = await importJWK(JSON.parse(agent.publicKeyJwk), AGENT_JWT.alg);
    const { payload } = await jwtVerify(jwt, key, {
      algorithms: [AGENT_JWT.alg],
      typ: AGENT_JWT.typ,
      audience: AGENT_JWT.audience,
      issuer: agent.id,
      subject: agent.id,
      maxTokenAge: `${AGENT_JWT.lifetimeSeconds}s`,
      clockTolerance: `${AGENT_JWT.clockToleranceSeconds}s`,
      requiredClaims: ["jti", "iat", "exp"],
      currentDate: now,
    });
    if (typeof payload.jti !== "string" || payload.jti.length < 16 || payload.jti.length > 128) throw new Error("jti");
    jti = payload.jti;
    iat = payload.iat as number;
  } catch {
    throw refused("signature or claims");
  }

  // The unique (agent_id, jti) constraint is the replay cache: it survives restarts and is shared by
  // every replica on the same database. A conflict means this token was presented before.
  const inserted = await db
    .insert(t.agentJti)
    .values({ agentId: agent.id, jti, expiresAt: Math.max(iat * 1000, now.getTime()) + JTI_TTL_MS })
    .onConflictDoNothing()
    .returning({ jti: t.agentJti.jti });
  if (!inserted[0]) throw refused("token replayed");
  await db.delete(t.agentJti).where(and(eq(t.agentJti.agentId, agent.id), lt(t.agentJti.expiresAt, now.getTime())));
  return { agentId: agent.id };
}
