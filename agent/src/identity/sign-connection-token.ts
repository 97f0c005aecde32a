import { KeyObject, randomBytes, sign } from "node:crypto";
import type { CryptoKey } from "jose";
import { AGENT_JWT, type Clock } from "@holdfast/shared/protocol";

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * The per-connection JWT of docs/link.md §2. A fresh one for every attempt: 60 s lifetime and a
 * 128-bit random jti, which the control plane keeps to refuse a replay. Signed with node:crypto, not
 * jose: one fixed EdDSA compact JWS does not need a JOSE library in the idle agent (about 1 MiB;
 * docs/decisions.md, "Agent idle memory (issue 18)"). The control plane verifies it with jose.
 */
export async function signConnectionToken(
  privateKey: CryptoKey,
  ids: { agentId: string; keyId: string },
  clock: Clock,
): Promise<string> {
  const iat = Math.floor(clock.now().getTime() / 1000);
  const header = { alg: AGENT_JWT.alg, typ: AGENT_JWT.typ, kid: ids.keyId };
  const payload = {
    iss: ids.agentId,
    sub: ids.agentId,
    aud: AGENT_JWT.audience,
    iat,
    exp: iat + AGENT_JWT.lifetimeSeconds,
    jti: randomBytes(16).toString("base64url"),
  };
  const input = `${b64url(header)}.${b64url(payload)}`;
  // Ed25519 takes no digest (null): the key's own algorithm signs the whole input.
  const signature = sign(null, Buffer.from(input), KeyObject.from(privateKey));
  return `${input}.${signature.toString("base64url")}`;
}
