import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import {
  AGENT_ROUTES,
  type CommandPayload,
  type CommandType,
  type EventEnvelope,
  makeRequest,
  PROTOCOL_VERSION,
  type ResponseEnvelope,
  VERSION_HEADERS,
} from "@holdfast/shared";
import { waitFor } from "./processes.js";

/**
 * A protocol-level stand-in for the control plane, to drive a real agent process through commands
 * the real control plane has no route for yet (scheduled triggers) and to watch exactly what the
 * agent sends. It accepts any enrollment and any connection token: the real control plane's auth
 * is tested against the real thing elsewhere.
 */
export class FakeControlPlane {
  readonly events: EventEnvelope[] = [];
  /** The protocol its hello announces: set another to play a control plane of another major. */
  protocolVersion: number = PROTOCOL_VERSION;
  /** Every upgrade's version headers, and how each socket was closed (code, reason). */
  readonly upgrades: Array<{ protocol: string | undefined; agentVersion: string | undefined }> = [];
  readonly closes: Array<{ code: number; reason: string }> = [];
  private socket: WebSocket | null = null;
  private ready = false;
  private lastAcked = 0;
  private readonly pending = new Map<string, (r: ResponseEnvelope) => void>();
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor(private readonly server: Server) {
    server.on("request", (req, res) => {
      if (req.method === "POST" && req.url === AGENT_ROUTES.enroll) {
        readBody(req).then((body) => {
          res.writeHead(201, { "content-type": "application/json" });
          res.end(JSON.stringify({ agentId: `agt_fake${randomUUID().slice(0, 8)}`, keyId: "fake-key", name: (body as { name?: string }).name ?? "fake" }));
        });
        return;
      }
      res.writeHead(404).end();
    });
    server.on("upgrade", (req, sock, head) => {
      this.upgrades.push({ protocol: req.headers[VERSION_HEADERS.protocol] as string | undefined, agentVersion: req.headers[VERSION_HEADERS.agentVersion] as string | undefined });
      this.wss.handleUpgrade(req, sock, head, (ws) => this.attach(ws));
    });
  }

  static async start(): Promise<FakeControlPlane> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return new FakeControlPlane(server);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get connected(): boolean {
    return this.ready && this.socket?.readyState === WebSocket.OPEN;
  }

  private attach(ws: WebSocket): void {
    this.socket?.terminate();
    this.socket = ws;
    this.ready = false;
    ws.on("close", (code, reason) => this.closes.push({ code, reason: reason.toString() }));
    ws.send(JSON.stringify({ type: "hello", protocolVersion: this.protocolVersion, sessionId: `ses_${randomUUID()}`, serverTime: new Date().toISOString(), lastAckedSequence: this.lastAcked }));
    ws.on("message", (raw) => {
      const frame = JSON.parse(raw.toString()) as { type: string; requestId?: string; sequence?: number };
      if (frame.type === "helloAck") {
        this.ready = true;
      } else if (frame.type.endsWith("Response") && frame.requestId) {
        this.pending.get(frame.requestId)?.(frame as ResponseEnvelope);
        this.pending.delete(frame.requestId);
      } else if (typeof frame.sequence === "number") {
        this.events.push(frame as EventEnvelope);
        if (frame.sequence === this.lastAcked + 1) {
          this.lastAcked = frame.sequence;
          ws.send(JSON.stringify({ type: "ack", sequence: this.lastAcked }));
        }
      }
    });
  }

  async waitForAgent(): Promise<void> {
    await waitFor("the agent to connect to the fake control plane", () => this.connected);
  }

  /** Sends a command and resolves with the agent's response; fails after `timeoutMs` without one. */
  async command<T extends CommandType>(type: T, payload: CommandPayload<T>, idempotencyKey?: string, timeoutMs = 60_000): Promise<ResponseEnvelope> {
    await this.waitForAgent();
    const requestId = `req_${randomUUID()}`;
    const answer = new Promise<ResponseEnvelope>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`the agent did not answer ${type} (${requestId}) within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    this.socket!.send(JSON.stringify(makeRequest(type, payload, { requestId, now: new Date(), ...(idempotencyKey ? { idempotencyKey } : {}) })));
    return answer;
  }

  eventsOf(runId: string): EventEnvelope[] {
    return this.events.filter((e) => e.runId === runId);
  }

  async waitForEvent(what: string, match: (e: EventEnvelope) => boolean, timeoutMs = 60_000): Promise<EventEnvelope> {
    return waitFor(what, () => this.events.find(match), timeoutMs);
  }

  async close(): Promise<void> {
    this.socket?.terminate();
    this.wss.close();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (d) => (text += d));
    req.on("end", () => resolve(text ? JSON.parse(text) : {}));
  });
}
