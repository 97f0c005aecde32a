import { z } from "zod";

/** What an agent's connection JWT must look like; the control plane pins every one of these. */
export const AGENT_JWT = {
  alg: "EdDSA",
  typ: "holdfast-agent+jwt",
  audience: "holdfast-cp:ws",
  lifetimeSeconds: 60,
  clockToleranceSeconds: 30,
} as const;

/** The proof of possession an agent signs with its new key when it enrolls. */
export const ENROLL_POP = {
  alg: "EdDSA",
  typ: "holdfast-enroll+jwt",
  audience: "holdfast-cp:enroll",
  lifetimeSeconds: 300,
} as const;

/**
 * An enrollment token as the control plane stores it (never the token itself) and as the agent's
 * proof of possession carries it: the hex SHA-256 of its text. Web Crypto, so it needs no Node.
 */
export async function enrollmentTokenHash(token: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export const WS_SUBPROTOCOL = "holdfast.v1";

/** Routes of the agent side of the control plane. */
export const AGENT_ROUTES = {
  enroll: "/agent/v1/enroll",
  connect: "/agent/v1/connect",
  /** `PATCH {artifact}/:runId` appends bytes at `Upload-Offset`; `HEAD` answers the current offset. */
  artifacts: "/agent/v1/artifacts",
} as const;

export const UPLOAD_OFFSET_HEADER = "upload-offset";
export const UPLOAD_LENGTH_HEADER = "upload-length";

/** WebSocket close codes of the link beyond the standard ones. */
export const CLOSE_CODES = {
  /** The agent was revoked while connected. */
  revoked: 4403,
  /** A newer session of the same agent replaced this one. */
  replaced: 4409,
  /** The two sides speak different protocol majors; the close reason says which to upgrade. */
  incompatible: 4426,
  /** The control plane is shutting down. */
  serverShutdown: 4503,
} as const;

export const Ed25519PublicJwk = z
  .object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: z.string().regex(/^[A-Za-z0-9_-]{43}$/) })
  .strip();
export type Ed25519PublicJwk = z.infer<typeof Ed25519PublicJwk>;

export const EnrollRequest = z
  .object({
    token: z.string().min(16).max(256),
    publicKeyJwk: Ed25519PublicJwk,
    /** A JWS by the new key over `{tokenHash, aud, iat, exp}`: proves the caller holds the private key. */
    pop: z.string().min(16).max(4096),
    name: z.string().min(1).max(200).optional(),
    hostname: z.string().min(1).max(255),
    agentVersion: z.string().min(1).max(64),
  })
  .strict();
export type EnrollRequest = z.infer<typeof EnrollRequest>;

export const EnrollResponse = z.object({ agentId: z.string(), keyId: z.string(), name: z.string() });
export type EnrollResponse = z.infer<typeof EnrollResponse>;
