import { randomBytes } from "node:crypto";
import { SignJWT, type CryptoKey } from "jose";
import { AGENT_JWT, type Clock } from "@holdfast/shared/protocol";

/**
 * The per-connection JWT of docs/link.md §2. A fresh one for every attempt: 60 s lifetime and a
 * 128-bit random jti, which the control plane keeps to refuse a replay.
 */
export async function signConnectionToken(
  privateKey: CryptoKey,
  ids: { agentId: string; keyId: string },
  clock: Clock,
): Promise<string> {
  const iat = Math.floor(clock.now().getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: AGENT_JWT.alg, typ: AGENT_JWT.typ, kid: ids.keyId })
    .setIssuer(ids.agentId)
    .setSubject(ids.agentId)
    .setAudience(AGENT_JWT.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + AGENT_JWT.lifetimeSeconds)
    .setJti(randomBytes(16).toString("base64url"))
    .sign(privateKey);
}
