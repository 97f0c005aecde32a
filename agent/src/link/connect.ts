import type { CryptoKey } from "jose";
import WebSocket from "ws";
import { AGENT_ROUTES, CLOSE_CODES, HoldfastError, MAX_FRAME_BYTES, PROTOCOL_VERSION, VERSION_HEADERS, WS_SUBPROTOCOL, type Clock } from "@holdfast/shared/protocol";
import type { AgentIdentity } from "../identity/identity-file.js";
import { signConnectionToken } from "../identity/sign-connection-token.js";
import type { Logger } from "../log.js";
import { backoffDelay } from "./backoff.js";
import type { ServerTrust } from "./server-trust.js";
import type { LinkSession, SessionDeps } from "./session.js";
import { AGENT_VERSION } from "../version.js";

/** Exit status when the control plane revoked this agent: EX_CONFIG, so a service manager can stop restarting it. */
export const EXIT_REVOKED = 78;
/** Exit status for a setting that can never work (plain ws:// to another host without --insecure). */
export const EXIT_CONFIG = 78;

export interface LinkClientOptions {
  identity: AgentIdentity;
  /**
   * The control planes to connect to, in order (replicas, or one behind a load balancer); absent: the
   * identity's URL. Each new connection after a failed or dropped one goes to the next in the list.
   */
  servers?: readonly string[];
  privateKey: CryptoKey;
  clock: Clock;
  log: Logger;
  heartbeatMs: number;
  reconnectBaseMs: number;
  reconnectCapMs: number;
  random?: () => number;
  /** Builds the conversation for one socket; `refuse` ends it when the control plane speaks another protocol. */
  createSession(send: SessionDeps["send"], onReady: () => void, refuse: (reason: string) => void): LinkSession;
  /** Extra ws client options (tests: a CA). */
  wsOptions?: WebSocket.ClientOptions;
  /** Pins and --insecure (server-trust.ts); absent: Node's CA validation, any scheme. */
  trust?: ServerTrust;
}

export function wsUrlOf(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = `${url.pathname.replace(/\/+$/, "")}${AGENT_ROUTES.connect}`;
  url.search = "";
  url.hash = "";
  return url.toString();
}

/**
 * Keeps one socket to the control plane: a freshly signed JWT per attempt, reconnect with full-jitter
 * backoff (reset once a session reached helloAck), and a watchdog that treats three heartbeat
 * intervals of silence as a dead link. `run()` resolves with the process exit status.
 */
export class LinkClient {
  private ws: WebSocket | null = null;
  private session: LinkSession | null = null;
  private attempt = 0;
  private stopped = false;
  private cancelTimer: (() => void) | null = null;
  private cancelWatchdog: (() => void) | null = null;
  private finish: ((code: number) => void) | null = null;
  private readonly servers: readonly string[];
  private serverIndex = 0;

  constructor(private readonly opts: LinkClientOptions) {
    this.servers = opts.servers?.length ? opts.servers : [opts.identity.serverUrl];
  }

  /** The control plane of the current (or next) connection: uploads and downloads go to it too. */
  get server(): string {
    return this.servers[this.serverIndex]!;
  }

  run(): Promise<number> {
    return new Promise((resolve) => {
      this.finish = resolve;
      void this.connect();
    });
  }

  /**
   * Shutdown, before stop(): if a session is up, sends what is pending and waits (up to `timeoutMs` on
   * the clock) for the control plane to acknowledge every outbox event. True when all were acknowledged.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const session = this.session;
    if (!session || !session.isReady) return false;
    return session.waitForAcks(timeoutMs);
  }

  /** Closes the socket and ends run() with status 0 (SIGTERM/SIGINT). */
  stop(code = 0): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelWatchdog?.();
    this.session?.close();
    if (this.ws && this.ws.readyState !== WebSocket.CLOSED) this.ws.close(1000, "agent stopping");
    this.finish?.(code);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { log, identity } = this.opts;
    let token: string;
    try {
      token = await signConnectionToken(this.opts.privateKey, identity, this.opts.clock);
    } catch (err) {
      log.error({ err }, "could not sign the connection token");
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) return;
    let trusted: ReturnType<ServerTrust["connectOptions"]>;
    try {
      // Read per attempt: pins the control plane pushed apply from the next connection on.
      trusted = this.opts.trust?.connectOptions(this.server) ?? {};
    } catch (err) {
      log.error({ err: { message: (err as Error).message } }, "refusing to connect");
      this.stop(EXIT_CONFIG);
      return;
    }
    const ws = new WebSocket(wsUrlOf(this.server), WS_SUBPROTOCOL, {
      ...this.opts.wsOptions,
      ...trusted,
      // The versions ride on the upgrade so a control plane of another major can refuse with a reason.
      headers: {
        authorization: `Bearer ${token}`,
        [VERSION_HEADERS.protocol]: String(PROTOCOL_VERSION),
        [VERSION_HEADERS.agentVersion]: AGENT_VERSION,
      },
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 15_000,
      perMessageDeflate: false,
    });
    this.ws = ws;
    const send = (frame: object) => {
      if (ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(frame));
      return true;
    };
    let refusedHere: string | null = null;
    const session = this.opts.createSession(
      send,
      () => {
        this.attempt = 0;
        log.info(this.servers.length > 1 ? { server: this.server } : {}, "link established");
      },
      (reason) => {
        refusedHere = reason;
        ws.close(CLOSE_CODES.incompatible, reason.slice(0, 120));
      },
    );
    this.session = session;

    ws.on("open", () => this.feedWatchdog(ws));
    ws.on("ping", () => this.feedWatchdog(ws));
    ws.on("message", (data, isBinary) => {
      this.feedWatchdog(ws);
      if (isBinary) {
        log.warn("ignored a binary frame: protocol v1 sends JSON text only");
        return;
      }
      session.handleText(data.toString());
    });
    ws.on("error", (err) => {
      if (err instanceof HoldfastError && err.code === "TLS_PIN_MISMATCH") {
        // Retried with backoff: a renewal with a key nobody announced is fixed on the server's side.
        log.error({ code: err.code, details: err.details }, err.message);
        return;
      }
      const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
      if (status === "403") {
        log.error("the control plane refused this agent (403): it was revoked; enroll the host again with a new token");
        this.stop(EXIT_REVOKED);
      } else if (status === "401") {
        log.error("the control plane refused the agent's credentials (401): check this host's clock and key; retrying");
      } else {
        log.warn({ err: { message: err.message } }, "link error");
      }
    });
    ws.on("close", (code, reason) => {
      session.close();
      this.cancelWatchdog?.();
      if (this.ws === ws) this.ws = null;
      if (this.stopped) return;
      if (code === CLOSE_CODES.revoked) {
        log.error("the control plane revoked this agent (4403); enroll the host again with a new token");
        this.stop(EXIT_REVOKED);
        return;
      }
      if (code === CLOSE_CODES.incompatible || refusedHere !== null) {
        // Not fatal: once the other side is upgraded the link works again, so keep asking, slowly.
        const why = refusedHere ?? (reason.toString().slice(0, 200) || "the control plane speaks another protocol");
        log.error({ reason: why, retryInMs: this.opts.reconnectCapMs }, `incompatible with the control plane: ${why}`);
        this.scheduleReconnect(true);
        return;
      }
      if (code === CLOSE_CODES.replaced) log.warn("another session of this agent replaced this one (4409): is the key copied to another host?");
      else log.info({ code, reason: reason.toString().slice(0, 200) }, "link closed");
      this.scheduleReconnect();
    });
  }

  private feedWatchdog(ws: WebSocket): void {
    this.cancelWatchdog?.();
    this.cancelWatchdog = this.opts.clock.setTimeout(() => {
      this.opts.log.warn("no ping or frame for three heartbeat intervals: reconnecting");
      ws.terminate();
    }, 3 * this.opts.heartbeatMs);
  }

  /**
   * `longest`: wait the full cap (an incompatible peer will not change in seconds). With several
   * control planes every new attempt goes to the next one: a replica that died is left at once, and
   * the backoff (reset at each helloAck) keeps a fleet from stampeding the survivors.
   */
  private scheduleReconnect(longest = false): void {
    if (this.stopped) return;
    this.serverIndex = (this.serverIndex + 1) % this.servers.length;
    const delay = longest ? this.opts.reconnectCapMs : backoffDelay(this.attempt, this.opts.reconnectBaseMs, this.opts.reconnectCapMs, this.opts.random);
    this.attempt++;
    this.opts.log.debug({ delayMs: delay, attempt: this.attempt, server: this.server }, "reconnecting");
    this.cancelTimer = this.opts.clock.setTimeout(() => {
      this.cancelTimer = null;
      void this.connect();
    }, delay);
  }
}
