import { isIP } from "node:net";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import { HoldfastError, isLoopbackHost, MAX_AGENT_PINS, type TlsPin } from "@holdfast/shared/protocol";
import { peerChain, verifyPinnedChain } from "@holdfast/shared/node";

/** How long a TLS handshake to the control plane may take before the attempt is given up. */
const HANDSHAKE_TIMEOUT_MS = 15_000;

type Connector = (options: { host?: string | null; hostname?: string | null; port?: number | string | null; servername?: string }, callback: (err: Error | null, socket?: Duplex) => void) => undefined;

/**
 * How the agent trusts its control plane, for EVERY connection it makes to it (enrollment, the link,
 * artifact uploads and downloads): with pins, the server's chain must hold one of them (the pins
 * replace the system CAs, so a self-signed certificate works) and is checked before a single byte of
 * the request leaves; without, the system CAs. Plain http:// only to loopback or when enrolled with
 * --insecure. One object per process: pins the control plane pushes (updatePins) apply to the next
 * connection.
 */
export class ServerTrust {
  private current: TlsPin[];

  constructor(
    readonly serverUrl: string,
    pins: readonly TlsPin[],
    readonly insecure: boolean,
  ) {
    this.current = [...new Set(pins)];
  }

  get pins(): readonly TlsPin[] {
    return this.current;
  }

  /** INSECURE_TRANSPORT for plain http:// to another host, unless enrolled with --insecure. */
  checkTransport(serverUrl = this.serverUrl): void {
    const url = new URL(serverUrl);
    if (url.protocol === "https:" || url.protocol === "wss:") return;
    if (this.insecure || isLoopbackHost(url.hostname)) return;
    throw new HoldfastError(
      "INSECURE_TRANSPORT",
      `${url.origin} is plain http:// to another host: tokens would cross the network in clear. Use https:// (with --ca-pin for a self-signed certificate), or enroll with --insecure to accept it`,
      { serverUrl: url.origin },
    );
  }

  /**
   * Adds pins the control plane sent over the trusted link; old ones stay (agents enrolled with the
   * CA's pin keep it), so the list only grows until MAX_AGENT_PINS, where pins the server no longer
   * sends are dropped, oldest first. Returns the added ones.
   */
  addPins(sent: readonly TlsPin[]): TlsPin[] {
    const added = sent.filter((pin) => !this.current.includes(pin));
    if (added.length === 0) return [];
    let next = [...this.current, ...added];
    while (next.length > MAX_AGENT_PINS) {
      const stale = next.findIndex((pin) => !sent.includes(pin));
      if (stale < 0) break;
      next.splice(stale, 1);
    }
    this.current = next.slice(-MAX_AGENT_PINS);
    return added.filter((pin) => this.current.includes(pin));
  }

  /**
   * Options for http(s).request and ws: with pins, a `createConnection` that completes the TLS
   * handshake, checks the chain against the pins and hands over the socket only then (so no token,
   * JWT or byte of a body goes to an unpinned server); without pins, nothing: Node's CA validation.
   */
  // Typed `never`: http.request and ws type createConnection differently, and both call it the same
  // way (options, callback), which is all the connector relies on.
  // `serverUrl`: the control plane this connection goes to (one of several replicas; the pins hold for all).
  connectOptions(serverUrl = this.serverUrl): { createConnection?: never } {
    this.checkTransport(serverUrl);
    if (this.current.length === 0 || new URL(serverUrl).protocol !== "https:") return {};
    const pins = [...this.current];
    const createConnection: Connector = (options, callback) => {
      const host = String(options.host ?? options.hostname ?? "localhost").replace(/^\[|\]$/g, "");
      const socket = tls.connect({
        host,
        port: Number(options.port ?? 443),
        ...(isIP(host) === 0 ? { servername: options.servername ?? host } : {}),
        ALPNProtocols: ["http/1.1"],
        // The pins below replace CA validation; the chain is still checked link by link up to the pin.
        rejectUnauthorized: false,
      });
      let settled = false;
      const settle = (err: Error | null) => {
        if (settled) return;
        settled = true;
        socket.setTimeout(0);
        socket.off("error", onError);
        if (err) {
          socket.destroy();
          callback(err);
        } else callback(null, socket);
      };
      const onError = (err: Error) => settle(err);
      socket.once("error", onError);
      socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => settle(new Error(`TLS handshake with ${host} took longer than ${HANDSHAKE_TIMEOUT_MS / 1000} s`)));
      socket.once("secureConnect", () => {
        const verdict = verifyPinnedChain(peerChain(socket.getPeerCertificate(true)), pins, host);
        if (verdict.ok) return settle(null);
        settle(
          new HoldfastError(
            "TLS_PIN_MISMATCH",
            `The server at ${host}:${String(options.port)} is not the pinned control plane (${verdict.reason}): expected one of ${pins.join(", ")}; its chain has ${verdict.seen.join(", ") || "no certificate"}. Nothing was sent to it`,
            { expected: pins, seen: verdict.seen },
          ),
        );
      });
      return undefined;
    };
    return { createConnection: createConnection as never };
  }
}
