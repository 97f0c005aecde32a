import { readFileSync } from "node:fs";
import path from "node:path";
import { importPKCS8, SignJWT } from "jose";
import { AGENT_JWT } from "@holdfast/shared";

/** A connection JWT signed with an enrolled agent's own key, as its daemon would sign it. */
export async function signAgentJwt(agentDataDir: string, claims: { jti?: string; as?: { agentId: string; keyId: string } } = {}): Promise<string> {
  const identity = claims.as ?? readIdentity(agentDataDir);
  const key = await importPKCS8(readFileSync(path.join(agentDataDir, "agent.key"), "utf8"), "EdDSA");
  return new SignJWT({})
    .setProtectedHeader({ alg: AGENT_JWT.alg, typ: AGENT_JWT.typ, kid: identity.keyId })
    .setIssuer(identity.agentId)
    .setSubject(identity.agentId)
    .setAudience(AGENT_JWT.audience)
    .setIssuedAt()
    .setExpirationTime(`${AGENT_JWT.lifetimeSeconds}s`)
    .setJti(claims.jti ?? crypto.randomUUID())
    .sign(key);
}

export function readIdentity(agentDataDir: string): { agentId: string; keyId: string } {
  return JSON.parse(readFileSync(path.join(agentDataDir, "identity.json"), "utf8")) as { agentId: string; keyId: string };
}
