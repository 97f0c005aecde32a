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
  type TlsPin,
} from "@holdfast/shared/protocol";
import http from "node:http";
import https from "node:https";
import { ServerTrust } from "../link/server-trust.js";
import { z } from "zod";
import { AGENT_VERSION } from "../version.js";
import { EnrollWorkspace } from "./enroll-workspace.js";
import { normalizeServerUrl } from "./server-url.js";
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

const ErrorReply = z.object({ error: ErrorBody });

/** Bound on the enrollment answer: a few hundred bytes of JSON. */
const MAX_REPLY_BYTES = 64 * 1024;

/**
 * POSTs JSON through the trusted connection (pins checked before the body leaves) and reads the
 * bounded answer. Not fetch: its connection cannot be pinned before the request is written.
 */
function postJson(url: URL, body: string, trust: ServerTrust, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const transport = url.protocol === "https:" ? https : http;
    const req = transport.request(url, {
      ...trust.connectOptions(),
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", "content-length": String(Buffer.byteLength(body)) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    req.once("error", reject);
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_REPLY_BYTES) return req.destroy(new Error(`The control plane's answer is larger than ${MAX_REPLY_BYTES} bytes`));
        chunks.push(chunk);
      });
      res.once("error", reject);
      res.once("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.end(body);
  });
}

/** A non-2xx reply as the catalog error it carries, or a generic one when the body is not ours. */
function errorFromReply(res: { status: number; text: string }): HoldfastError {
  const text = res.text;
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
  /** `sha256:…` pins of the control plane's chain (--ca-pin): checked before the token is sent, kept for every later connection. */
  pins?: readonly TlsPin[];
  /** --insecure: plain http:// to another host is accepted (and logged at every start). */
  insecure?: boolean;
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
  const trust = new ServerTrust(serverUrl, opts.pins ?? [], opts.insecure ?? false);
  // Before anything is written: a plain URL to another host fails here.
  trust.checkTransport();
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
    const res = await postJson(new URL(`${serverUrl}${AGENT_ROUTES.enroll}`), JSON.stringify(body), trust, opts.timeoutMs ?? ENROLL_TIMEOUT_MS).catch((err: unknown) => {
      const cause = (err as Error)?.cause as Error | undefined;
      if ((err as Error)?.name === "TimeoutError" || cause?.name === "TimeoutError" || (err as Error)?.name === "AbortError") {
        throw new Error(`The control plane at ${serverUrl} did not answer within ${(opts.timeoutMs ?? ENROLL_TIMEOUT_MS) / 1000} s`);
      }
      throw err;
    });
    if (res.status < 200 || res.status > 299) throw errorFromReply(res);
    const reply = EnrollResponse.parse(JSON.parse(res.text));
    const identity: AgentIdentity = { agentId: reply.agentId, keyId: reply.keyId, name: reply.name, serverUrl, pins: [...trust.pins], insecure: trust.insecure };
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
