import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { SignJWT, type CryptoKey } from "jose";
import {
  AGENT_ROUTES,
  ENROLL_POP,
  enrollmentTokenHash,
  EnrollResponse,
  ErrorBody,
  HoldfastError,
  type Clock,
  type EnrollRequest,
} from "@holdfast/shared";
import { z } from "zod";
import { AGENT_VERSION } from "../version.js";
import { EnrollWorkspace } from "./enroll-workspace.js";
import { hasIdentity, IDENTITY_FILE, writeIdentity, type AgentIdentity } from "./identity-file.js";
import { exportPublicJwk, generateKeyPair, PRIVATE_KEY_FILE, writePrivateKey } from "./keys.js";

/** Proof of possession: the new key signs the token's hash, so a stolen request cannot enroll another key. */
export async function signEnrollPop(privateKey: CryptoKey, token: string, clock: Clock): Promise<string> {
  const iat = Math.floor(clock.now().getTime() / 1000);
  return new SignJWT({ tokenHash: await enrollmentTokenHash(token) })
    .setProtectedHeader({ alg: ENROLL_POP.alg, typ: ENROLL_POP.typ })
    .setAudience(ENROLL_POP.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ENROLL_POP.lifetimeSeconds)
    .sign(privateKey);
}

/** Trailing slashes would double up with the route names. */
export function normalizeServerUrl(serverUrl: string): string {
  const url = new URL(serverUrl);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new HoldfastError("VALIDATION_FAILED", `Server URL must be http(s): ${serverUrl}`);
  }
  return url.toString().replace(/\/+$/, "");
}

const ErrorReply = z.object({ error: ErrorBody });

/** A non-2xx reply as the catalog error it carries, or a generic one when the body is not ours. */
async function errorFromReply(res: Response): Promise<HoldfastError> {
  const text = await res.text().catch(() => "");
  try {
    const parsed = ErrorReply.safeParse(JSON.parse(text));
    if (parsed.success) {
      const { code, message, retryable, details } = parsed.data.error;
      return new HoldfastError(code, message, details, retryable);
    }
  } catch {
    // not JSON: fall through
  }
  return new HoldfastError("INTERNAL_ERROR", `The server answered HTTP ${res.status}`, { status: res.status });
}

export interface EnrollOptions {
  dataDir: string;
  serverUrl: string;
  token: string;
  name?: string | undefined;
  clock: Clock;
  hostname?: string;
  fetch?: typeof globalThis.fetch;
  /** ENROLL_TIMEOUT_MS unless set (tests). */
  timeoutMs?: number;
}

/** How long the control plane has to answer the enrollment request. */
export const ENROLL_TIMEOUT_MS = 30_000;

/**
 * docs/link.md §1: generate the key, write it (0600, fsynced) BEFORE sending anything, prove
 * possession, POST the EnrollRequest; once accepted, key and identity.json move into the data dir.
 * Refuses a data dir that already holds an identity. A failed enrollment (refused token, server down
 * or silent) leaves the data dir exactly as it was (enroll-workspace.ts).
 */
export async function enroll(opts: EnrollOptions): Promise<AgentIdentity> {
  const serverUrl = normalizeServerUrl(opts.serverUrl);
  if (hasIdentity(opts.dataDir)) {
    throw new HoldfastError("ALREADY_EXISTS", `${opts.dataDir} already holds an enrolled agent identity`, { dataDir: opts.dataDir });
  }
  const workspace = EnrollWorkspace.open(opts.dataDir);
  try {
    const { privateKey, publicKey } = await generateKeyPair();
    await writePrivateKey(workspace.dir, privateKey);
    const body: EnrollRequest = {
      token: opts.token,
      publicKeyJwk: await exportPublicJwk(publicKey),
      pop: await signEnrollPop(privateKey, opts.token, opts.clock),
      ...(opts.name ? { name: opts.name } : {}),
      hostname: opts.hostname ?? os.hostname(),
      agentVersion: AGENT_VERSION,
    };
    const res = await (opts.fetch ?? globalThis.fetch)(`${serverUrl}${AGENT_ROUTES.enroll}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? ENROLL_TIMEOUT_MS),
    }).catch((err: unknown) => {
      if ((err as Error)?.name === "TimeoutError") throw new Error(`The control plane at ${serverUrl} did not answer within ${(opts.timeoutMs ?? ENROLL_TIMEOUT_MS) / 1000} s`);
      throw err;
    });
    if (!res.ok) throw await errorFromReply(res);
    const reply = EnrollResponse.parse(await res.json());
    const identity: AgentIdentity = { agentId: reply.agentId, keyId: reply.keyId, name: reply.name, serverUrl, pins: [], insecure: false };
    await writeIdentity(workspace.dir, identity);
    // identity.json last: a key without it is an enrollment that never completed.
    await workspace.commit([PRIVATE_KEY_FILE, IDENTITY_FILE]);
    return identity;
  } catch (err) {
    try {
      await workspace.discard();
    } catch (cleanupErr) {
      throw new AggregateError([err, cleanupErr], `${(err as Error)?.message ?? String(err)}; the enrollment's files could not be removed: ${(cleanupErr as Error)?.message}`);
    }
    throw err;
  }
}
