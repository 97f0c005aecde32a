import {
  AGENT_JWT,
  AGENT_ROUTES,
  type CommandType,
  ENROLL_POP,
  enrollmentTokenHash,
  type EnrollResponse,
  type ErrorBody,
  makeErrorResponse,
  makeOkResponse,
  parseServerFrame,
  type RequestEnvelope,
  WS_SUBPROTOCOL,
} from "@holdfast/shared";
import { randomBytes } from "node:crypto";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import WebSocket from "ws";

export interface AgentKey {
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function newAgentKey(): Promise<AgentKey> {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } };
}

export async function signPop(key: AgentKey, token: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const tokenHash = await enrollmentTokenHash(token);
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ tokenHash, aud: ENROLL_POP.audience, iat, exp: iat + ENROLL_POP.lifetimeSeconds, ...claims })
    .setProtectedHeader({ alg: "EdDSA", typ: ENROLL_POP.typ, ...header })
    .sign(key.privateKey);
}

export function enrollBody(key: AgentKey, token: string, pop: string, extra: Record<string, unknown> = {}) {
  return { token, publicKeyJwk: key.jwk, pop, hostname: "db-host-1", agentVersion: "0.1.0-test", ...extra };
}

export interface Identity {
  agentId: string;
  keyId: string;
  key: AgentKey;
}

/** Enrolls a new key over HTTP, as the real agent does. */
export async function enrollOverHttp(url: string, token: string): Promise<Identity> {
  const key = await newAgentKey();
  const res = await fetch(`${url}${AGENT_ROUTES.enroll}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(enrollBody(key, token, await signPop(key, token))),
  });
  if (res.status !== 201) throw new Error(`enroll failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as EnrollResponse;
  return { agentId: body.agentId, keyId: body.keyId, key };
}

export interface JwtOverrides {
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** Seconds added to "now" for iat (negative: in the past). */
  iatOffset?: number;
  lifetime?: number;
  signWith?: AgentKey;
}

export async function connectJwt(identity: Identity, o: JwtOverrides = {}): Promise<string> {
  const iat = Math.floor(Date.now() / 1000) + (o.iatOffset ?? 0);
  const claims = {
    iss: identity.agentId,
    sub: identity.agentId,
    aud: AGENT_JWT.audience,
    iat,
    exp: iat + (o.lifetime ?? AGENT_JWT.lifetimeSeconds),
    jti: randomBytes(16).toString("hex"),
    ...o.claims,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", typ: AGENT_JWT.typ, kid: identity.keyId, ...o.header })
    .sign((o.signWith ?? identity.key).privateKey);
}

export type ConnectResult = { ok: true; ws: WebSocket; messages: Array<Record<string, unknown>> } | { ok: false; status: number; body: string };

/** Opens the link with the given bearer JWT (and any extra upgrade headers); resolves with the socket or the refused status. */
export function connect(url: string, jwt: string | undefined, protocol: string = WS_SUBPROTOCOL, headers: Record<string, string> = {}): Promise<ConnectResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}${AGENT_ROUTES.connect}`, protocol, {
      headers: { ...headers, ...(jwt ? { authorization: `Bearer ${jwt}` } : {}) },
    });
    // Recorded from the start: hello can arrive in the same packet as the 101 and be emitted before
    // the caller's continuation runs.
    const messages: Array<Record<string, unknown>> = [];
    ws.on("message", (d) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
    ws.once("open", () => resolve({ ok: true, ws, messages }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ ok: false, status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve({ ok: false, status: res.statusCode ?? 0, body }));
    });
    ws.once("error", (err) => reject(err));
  });
}

type Handler = (frame: RequestEnvelope) => { status: number; data: unknown } | { error: ErrorBody } | Promise<{ status: number; data: unknown } | { error: ErrorBody }>;

/**
 * A scripted agent on a real socket: answers hello, replies to commands through per-type handlers,
 * sends the events a test asks for and records every frame it got.
 */
export class FakeAgent {
  readonly frames: Array<Record<string, unknown>> = [];
  readonly handlers: Partial<Record<CommandType, Handler>> = {};
  closeCode: number | undefined;
  private readonly closed: Promise<number>;
  private waiters: Array<{ match: (f: Record<string, unknown>) => boolean; resolve: (f: Record<string, unknown>) => void }> = [];
  private sequence = 0;

  constructor(readonly ws: WebSocket, readonly identity: Identity, early: Array<Record<string, unknown>> = []) {
    this.closed = new Promise((resolve) =>
      ws.on("close", (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
    for (const frame of early) this.onMessage(JSON.stringify(frame));
    ws.on("message", (data) => this.onMessage(data.toString()));
  }

  static async connect(url: string, identity: Identity): Promise<FakeAgent> {
    const r = await connect(url, await connectJwt(identity));
    if (!r.ok) throw new Error(`connect refused: ${r.status} ${r.body}`);
    const agent = new FakeAgent(r.ws, identity, [...r.messages]);
    await agent.waitFor((f) => f.type === "hello");
    agent.send({ type: "helloAck", protocolVersion: 1, agentVersion: "0.1.0-test", hostname: "db-host-1", lastSequence: 0 });
    return agent;
  }

  /**
   * Scripts what creating a datasource asks of an agent: store the config (answering `connection`),
   * connect to it, and remove it again.
   */
  acceptDatasources(connection: unknown): void {
    const datasourceId = (f: RequestEnvelope) => (f.payload as { datasourceId: string }).datasourceId;
    this.handlers.createDatabaseConfig = (f) => ({ status: 200, data: { datasourceId: datasourceId(f), connection } });
    this.handlers.testDatabaseConnection = () => ({ status: 200, data: { ok: true, latencyMs: 3, serverVersion: "16.4", databaseSizeBytes: null } });
    this.handlers.deleteDatabaseConfig = (f) => ({ status: 200, data: { datasourceId: datasourceId(f), deleted: true } });
  }

  /** Starts every backup at once (`running`) and confirms every staging clean-up; the test sends the run's events. */
  acceptBackups(): void {
    const runId = (f: RequestEnvelope) => (f.payload as { runId: string }).runId;
    this.handlers.startBackup = (f) => ({ status: 202, data: { runId: runId(f), state: "running", queuedPosition: null } });
    this.handlers.cleanupStaging = (f) => ({ status: 200, data: { runId: runId(f), removed: true } });
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends an event with the next sequence; resolves with the ack that covers it. */
  async sendEvent(type: string, data: unknown, runId?: string, eventId = `evt_${randomBytes(8).toString("hex")}`): Promise<number> {
    this.sequence += 1;
    const sequence = this.sequence;
    const acked = this.waitFor((f) => f.type === "ack" && (f.sequence as number) >= sequence);
    this.send({ type, eventId, sequence, ...(runId ? { runId } : {}), occurredAt: new Date().toISOString(), data });
    await acked;
    return sequence;
  }

  /** The first frame (seen or to come) that matches; fails after `timeoutMs`, naming the match it waited for. */
  waitFor(match: (f: Record<string, unknown>) => boolean, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`FakeAgent: no frame matching ${match.toString()} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  waitForClose(): Promise<number> {
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  private onMessage(text: string): void {
    const frame = JSON.parse(text) as Record<string, unknown>;
    this.frames.push(frame);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(frame)) return true;
      w.resolve(frame);
      return false;
    });
    const parsed = parseServerFrame(text);
    if (parsed.ok && parsed.value.kind === "command") void this.answer(parsed.value.frame as unknown as RequestEnvelope);
  }

  private async answer(frame: RequestEnvelope): Promise<void> {
    const handler = this.handlers[frame.type as CommandType];
    const result = handler
      ? await handler(frame)
      : { error: { code: "FEATURE_NOT_AVAILABLE" as const, message: `fake agent does not do ${frame.type}`, retryable: false } };
    if ("error" in result) this.send(makeErrorResponse(frame.type, frame.requestId, result.error));
    else this.send(makeOkResponse(frame.type, frame.requestId, result.status, result.data));
  }
}

/** The first frame the control plane sent on a raw connection. */
export async function firstFrame(r: { ws: WebSocket; messages: Array<Record<string, unknown>> }): Promise<Record<string, unknown>> {
  if (r.messages[0]) return r.messages[0];
  return new Promise((resolve) => r.ws.once("message", (d) => resolve(JSON.parse(d.toString()) as Record<string, unknown>)));
}
