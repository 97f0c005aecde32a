import { type IncomingMessage, STATUS_CODES, type Server } from "node:http";
import type { Duplex } from "node:stream";
import {
  AGENT_ROUTES,
  type ErrorBody,
  HoldfastError,
  MAX_FRAME_BYTES,
  parseProtocolHeader,
  protocolMismatch,
  toErrorBody,
  VERSION_HEADERS,
  WS_SUBPROTOCOL,
} from "@holdfast/shared";
import { WebSocketServer } from "ws";
import { authenticateAgentUpgrade } from "../agents/authenticate-upgrade.js";
import type { AppContext } from "../context.js";
import { metrics } from "../metrics/process-series.js";
import { linkSecurityOf } from "../tls/link-security.js";
import type { LinkHub } from "./hub.js";
import { refuseIncompatible } from "./refuse-incompatible.js";

/** Answers a refused upgrade with a plain HTTP response and drops the connection: no socket exists. */
function refuse(socket: Duplex, status: number, body: ErrorBody): void {
  const json = JSON.stringify({ error: body });
  socket.once("finish", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
  );
}

function offersSubprotocol(req: IncomingMessage): boolean {
  const header = req.headers["sec-websocket-protocol"];
  return typeof header === "string" && header.split(",").some((p) => p.trim() === WS_SUBPROTOCOL);
}

/**
 * The agent link endpoint (docs/link.md §2). The upgrade is authenticated in the HTTP `upgrade`
 * event, before `handleUpgrade`, so nothing an unauthenticated peer sends is ever parsed as a frame.
 * Returns a function that stops accepting upgrades.
 */
export function attachLinkServer(ctx: AppContext, server: Server, hub: LinkHub): { close(): void } {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });
  let closed = false;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (closed) return refuse(socket, 503, new HoldfastError("AGENT_STOPPING", "The control plane is shutting down").toBody());
    if (path !== AGENT_ROUTES.connect) return refuse(socket, 404, new HoldfastError("NOT_FOUND", "No WebSocket endpoint here").toBody());
    if (!offersSubprotocol(req)) {
      return refuse(socket, 400, new HoldfastError("VALIDATION_FAILED", `Offer the ${WS_SUBPROTOCOL} subprotocol`).toBody());
    }
    authenticateAgentUpgrade(ctx, req.headers).then(
      ({ agentId }) => {
        if (closed || socket.destroyed) return socket.destroy();
        // An agent of another major is told why over a real socket (a close code it can log), not an HTTP
        // status; agents older than the header say their protocol in helloAck instead (session.ts).
        const protocolVersion = parseProtocolHeader(req.headers[VERSION_HEADERS.protocol]);
        const reason = protocolVersion === null ? null : protocolMismatch(protocolVersion, "control plane");
        if (protocolVersion !== null && reason) {
          const agentVersion = req.headers[VERSION_HEADERS.agentVersion];
          wss.handleUpgrade(req, socket, head, (ws) => {
            void refuseIncompatible(ctx, ws, agentId, { protocolVersion, reason, ...(typeof agentVersion === "string" ? { agentVersion: agentVersion.slice(0, 64) } : {}) });
          });
          return;
        }
        const security = linkSecurityOf(req, ctx.env.trustedProxies);
        wss.handleUpgrade(req, socket, head, (ws) => hub.open(agentId, ws, security));
      },
      (err: unknown) => {
        const status = err instanceof HoldfastError ? err.status : 500;
        if (!(err instanceof HoldfastError)) ctx.log.error({ err }, "agent upgrade failed");
        else ctx.log.warn({ code: err.code, reason: err.message }, "agent upgrade refused");
        if (err instanceof HoldfastError && (err.status === 401 || err.status === 403)) metrics.refusedAuthentications.inc({ credential: "agent", code: err.code });
        refuse(socket, status, toErrorBody(err));
      },
    );
  };
  server.on("upgrade", onUpgrade);
  return {
    close() {
      closed = true;
      server.off("upgrade", onUpgrade);
      wss.close();
    },
  };
}
