import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { jwtVerify, type CryptoKey } from "jose";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { AGENT_JWT, AGENT_ROUTES, CLOSE_CODES, PROTOCOL_VERSION, VERSION_HEADERS, WS_SUBPROTOCOL } from "@holdfast/shared";
import pino from "pino";
import { createRunContext } from "../agent.js";
import { DEFAULT_LIMITS } from "../env.js";
import { generateKeyPair } from "../identity/keys.js";
import { silentLogger } from "../log.js";
import { saveDatasource } from "../store/datasources.js";
import { openStore } from "../store/open-store.js";
import { readEventsAfter } from "../store/outbox.js";
import { insertQueuedRun, transitionRun } from "../queue/transitions.js";
import type { AgentStore } from "../store/store.js";
import { makeTempDir, ManualClock, PG } from "../testing/helpers.js";
import { backoffDelay } from "./backoff.js";
import { EXIT_REVOKED, LinkClient, wsUrlOf } from "./connect.js";
import { Dispatcher } from "./dispatch.js";
import { LinkSession } from "./session.js";
import { AGENT_VERSION } from "../version.js";

/** A minimal control plane: authenticates the upgrade like docs/link.md §2 and records what it got. */
class FakeControlPlane {
  readonly server = http.createServer();
  readonly wss = new WebSocketServer({ noServer: true });
  readonly upgrades: { status: number; jti?: string; protocol?: string; versions?: string[] }[] = [];
  readonly frames: Record<string, unknown>[] = [];
  socket: WebSocket | null = null;
  answer: number | null = null;
  private waiters: (() => void)[] = [];

  constructor(publicKey: CryptoKey, clock: ManualClock) {
    this.server.on("upgrade", async (req, sock, head) => {
      if (this.answer) {
        this.upgrades.push({ status: this.answer });
        sock.end(`HTTP/1.1 ${this.answer} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return this.wake();
      }
      try {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
        const { payload } = await jwtVerify(token, publicKey, {
          algorithms: ["EdDSA"],
          typ: AGENT_JWT.typ,
          audience: AGENT_JWT.audience,
          issuer: "agt_test",
          maxTokenAge: "60s",
          requiredClaims: ["jti", "iat", "exp"],
          currentDate: clock.now(),
        });
        this.upgrades.push({
          status: 101,
          jti: payload.jti as string,
          protocol: req.headers["sec-websocket-protocol"] as string,
          versions: [req.headers[VERSION_HEADERS.protocol] as string, req.headers[VERSION_HEADERS.agentVersion] as string],
        });
        this.wss.handleUpgrade(req, sock, head, (ws) => {
          this.socket = ws;
          ws.on("message", (data) => {
            this.frames.push(JSON.parse(data.toString()));
            this.wake();
          });
          ws.on("close", () => this.wake());
          this.wake();
        });
      } catch {
        this.upgrades.push({ status: 401 });
        sock.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        this.wake();
      }
    });
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves with check()'s value once it holds, re-checking on each socket event; fails after `timeoutMs`. */
  async until<T>(check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${check.toString()}`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          r();
        });
      });
    }
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  send(obj: object) {
    this.socket!.send(JSON.stringify(obj));
  }

  async close() {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    await new Promise((r) => this.server.close(r));
  }
}

describe("the agent link", () => {
  let dir: string;
  let store: AgentStore;
  let clock: ManualClock;
  let cp: FakeControlPlane;
  let client: LinkClient;
  let serverUrl: string;
  let logLines: Array<{ level: number; msg: string; reason?: string }>;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let ctx: ReturnType<typeof createRunContext>;

  beforeEach(async () => {
    logLines = [];
    const log = pino({ level: "info" }, { write: (line: string) => logLines.push(JSON.parse(line) as (typeof logLines)[number]) });
    dir = makeTempDir("link");
    clock = new ManualClock(Date.now());
    keys = await generateKeyPair();
    store = openStore({ dataDir: path.join(dir, "data"), stagingRoot: path.join(dir, "staging"), clock }).store;
    saveDatasource(store, { datasourceId: "ds_1", name: "x", engine: "postgres", connection: { ...PG, database: "x" } });
    cp = new FakeControlPlane(keys.publicKey, clock);
    serverUrl = await cp.listen();
    ctx = createRunContext({ store, stagingRoot: path.join(dir, "staging"), clock, log: silentLogger, limits: DEFAULT_LIMITS });
    const dispatcher = new Dispatcher({ run: ctx, agentId: "agt_test", serverUrl: () => serverUrl, log: silentLogger });
    client = new LinkClient({
      identity: { agentId: "agt_test", keyId: "kid_1", name: "t", serverUrl, pins: [], insecure: false },
      privateKey: keys.privateKey,
      clock,
      log,
      heartbeatMs: 1000,
      reconnectBaseMs: 500,
      reconnectCapMs: 60000,
      random: () => 0.5,
      createSession: (send, onReady, refuse) => new LinkSession({ store, dispatcher, log: silentLogger, send, onReady, refuse, hostname: "db-host" }),
    });
  });

  afterEach(async () => {
    client.stop();
    await cp.close();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("authenticates with a fresh signed JWT, answers hello, replays unacked events in order, then streams new ones", async () => {
    store.transaction(() => insertQueuedRun(store, { runId: "run_1", datasourceId: "ds_1", trigger: "manual", scheduleId: null, requestedBy: "x" }));
    transitionRun(store, "run_1", { to: "running" }); // seq 1
    store.transaction(() => insertQueuedRun(store, { runId: "run_2", datasourceId: "ds_1", trigger: "schedule", scheduleId: null, requestedBy: "x" }));
    transitionRun(store, "run_1", { to: "completed", artifact: { sizeBytes: 1, rawSizeBytes: 1, sha256: "a".repeat(64), fileName: "f", stagingPath: "/nope" }, artifactExpiresAt: "2026-01-02T00:00:00.000Z" }); // seq 2
    transitionRun(store, "run_2", { to: "running" }); // seq 3

    const done = client.run();
    await cp.until(() => cp.socket);
    expect(cp.upgrades[0]).toMatchObject({ status: 101, protocol: WS_SUBPROTOCOL });
    expect(cp.upgrades[0]?.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);

    cp.send({ type: "hello", protocolVersion: 1, sessionId: "ses_1", serverTime: clock.now().toISOString(), lastAckedSequence: 1 });
    await cp.until(() => cp.frames.length >= 3);
    expect(cp.frames[0]).toEqual({ type: "helloAck", protocolVersion: 1, agentVersion: expect.any(String), hostname: "db-host", lastSequence: 3 });
    expect(cp.frames.slice(1).map((f) => [f.sequence, f.type])).toEqual([
      [2, "backupCompleted"],
      [3, "backupStarted"],
    ]);

    cp.send({ type: "ack", sequence: 3 });
    cp.send({ type: "getExecutionStatus", requestId: "req_1", timestamp: clock.now().toISOString(), payload: { runId: "run_2" } });
    await cp.until(() => cp.frames.find((f) => f.requestId === "req_1"));
    expect(cp.frames.at(-1)).toMatchObject({ type: "getExecutionStatusResponse", statusCode: 200, data: { runId: "run_2", state: "running" } });
    expect(store.db.prepare("SELECT count(*) FROM outbox WHERE acked = 0").pluck().get()).toBe(0);

    transitionRun(store, "run_2", { to: "failed", error: { code: "DUMP_FAILED", message: "x", retryable: true } });
    await cp.until(() => cp.frames.find((f) => f.sequence === 4));
    expect(cp.frames.at(-1)).toMatchObject({ type: "backupFailed", runId: "run_2", sequence: 4 });

    cp.socket!.close(CLOSE_CODES.revoked, "revoked");
    expect(await done).toBe(EXIT_REVOKED);
  });

  it("replays from a resync's sequence, acknowledged events included", async () => {
    store.transaction(() => insertQueuedRun(store, { runId: "run_1", datasourceId: "ds_1", trigger: "manual", scheduleId: null, requestedBy: "x" }));
    transitionRun(store, "run_1", { to: "running" });
    transitionRun(store, "run_1", { to: "failed", error: { code: "DUMP_FAILED", message: "x", retryable: true } });
    void client.run();
    await cp.until(() => cp.socket);
    cp.send({ type: "hello", protocolVersion: 1, sessionId: "ses_1", serverTime: clock.now().toISOString(), lastAckedSequence: 2 });
    await cp.until(() => cp.frames.length >= 1);
    cp.send({ type: "resync", requestId: "req_r", timestamp: clock.now().toISOString(), payload: { afterSequence: 0 } });
    await cp.until(() => cp.frames.find((f) => f.requestId === "req_r"));
    expect(cp.frames.slice(1).map((f) => f.sequence ?? f.type)).toEqual([1, 2, "resyncResponse"]);
    expect(cp.frames.at(-1)).toMatchObject({ data: { replayed: 2 } });
  });

  it("at shutdown, drains: waits for the control plane to acknowledge every event, or gives up after the timeout", async () => {
    expect(await client.drain(3000)).toBe(false); // no session yet: nothing to wait for
    void client.run();
    await cp.until(() => cp.socket);
    cp.send({ type: "hello", protocolVersion: 1, sessionId: "ses_1", serverTime: clock.now().toISOString(), lastAckedSequence: 0 });
    await cp.until(() => cp.frames.length >= 1);
    store.transaction(() => insertQueuedRun(store, { runId: "run_1", datasourceId: "ds_1", trigger: "manual", scheduleId: null, requestedBy: "x" }));
    transitionRun(store, "run_1", { to: "running" });
    const drained = client.drain(3000);
    await cp.until(() => cp.frames.find((f) => f.sequence === 1));
    cp.send({ type: "ack", sequence: 1 });
    expect(await drained).toBe(true);

    transitionRun(store, "run_1", { to: "failed", error: { code: "AGENT_STOPPING", message: "x", retryable: true } });
    const unacked = client.drain(3000);
    await cp.until(() => cp.frames.find((f) => f.sequence === 2));
    clock.advance(3000); // the control plane never acknowledges: shutdown goes on, the event stays in the outbox
    expect(await unacked).toBe(false);
    expect(store.db.prepare("SELECT count(*) FROM outbox WHERE acked = 0").pluck().get()).toBe(1);
  });

  it("stops with a non-zero status when the upgrade is refused with 403 (revoked)", async () => {
    cp.answer = 403;
    expect(await client.run()).toBe(EXIT_REVOKED);
    expect(cp.upgrades).toEqual([{ status: 403 }]);
  });

  it("retries a refused (401) upgrade after a backoff, with a new token", async () => {
    cp.answer = 401;
    void client.run();
    // The reconnect waits on the clock: one timer pending, no second attempt yet.
    await eventually(() => clock.pendingTimers === 1);
    expect(cp.upgrades).toEqual([{ status: 401 }]);
    cp.answer = null;
    clock.advance(250); // random 0.5 × base 500 ms
    await cp.until(() => cp.socket);
    expect(cp.upgrades.map((u) => u.status)).toEqual([401, 101]);
  });

  it("sends its versions on the upgrade; closed as incompatible, logs the reason as an error and retries at the longest backoff", async () => {
    void client.run();
    const socket = (await cp.until(() => cp.socket))!;
    expect(cp.upgrades[0]?.versions).toEqual([String(PROTOCOL_VERSION), AGENT_VERSION]);
    const reason = "agent speaks protocol 1, this control plane 2: upgrade the agent";
    socket.close(CLOSE_CODES.incompatible, reason);
    // The watchdog's timer is pending before the close as the reconnect's is after: wait for the log line.
    await eventually(() => logLines.some((l) => l.level === 50) && clock.pendingTimers === 1);
    expect(logLines.filter((l) => l.level === 50).map((l) => l.reason)).toEqual([reason]);
    // Not the jittered backoff of an ordinary drop (250 ms here): the full cap, and it keeps trying.
    expect(clock.nextTimerInMs).toBe(60_000);
    clock.advance(60_000);
    await cp.until(() => cp.upgrades.length === 2);
    expect(cp.upgrades.map((u) => u.status)).toEqual([101, 101]);
  });

  it("refuses a hello of another protocol major: no helloAck, closes with the incompatible code, retries at the longest backoff", async () => {
    void client.run();
    const socket = (await cp.until(() => cp.socket))!;
    const closed = new Promise<number>((r) => socket.once("close", (code) => r(code)));
    cp.send({ type: "hello", protocolVersion: 2, sessionId: "ses_future", somethingNew: true });
    expect(await closed).toBe(CLOSE_CODES.incompatible);
    await eventually(() => logLines.some((l) => l.level === 50));
    expect(cp.frames.filter((f) => f.type === "helloAck")).toEqual([]);
    expect(logLines.filter((l) => l.level === 50).map((l) => l.reason)).toEqual(["control plane speaks protocol 2, this agent 1: upgrade the agent"]);
    expect(clock.nextTimerInMs).toBe(60_000);
  });

  it("with several control planes, moves to the next one whenever a connection fails or drops, round the list", async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((r) => dead.close(r)); // nothing listens there any more: the connection is refused
    const cp2 = new FakeControlPlane(keys.publicKey, clock);
    const cp2Url = await cp2.listen();
    const dispatcher = new Dispatcher({ run: ctx, agentId: "agt_test", serverUrl: () => several.server, log: silentLogger });
    const several: LinkClient = new LinkClient({
      identity: { agentId: "agt_test", keyId: "kid_1", name: "t", serverUrl: deadUrl, pins: [], insecure: false },
      servers: [deadUrl, serverUrl, cp2Url],
      privateKey: keys.privateKey,
      clock,
      log: silentLogger,
      heartbeatMs: 1000,
      reconnectBaseMs: 500,
      reconnectCapMs: 60000,
      random: () => 0.5,
      createSession: (send, onReady, refuse) => new LinkSession({ store, dispatcher, log: silentLogger, send, onReady, refuse, hostname: "db-host" }),
    });
    const hello = (plane: FakeControlPlane) => plane.send({ type: "hello", protocolVersion: 1, sessionId: "ses_x", serverTime: clock.now().toISOString(), lastAckedSequence: 0 });
    try {
      void several.run();
      // The first is refused: the next attempt, after the backoff, goes to the second.
      await eventually(() => clock.pendingTimers === 1);
      expect(several.server).toBe(serverUrl);
      clock.advance(250);
      const first = (await cp.until(() => cp.socket))!;
      hello(cp);
      await cp.until(() => cp.frames.some((f) => f.type === "helloAck"));
      expect(several.server).toBe(serverUrl);

      // The second dies: the agent moves on to the third, not back to the one that failed.
      first.terminate();
      await eventually(() => several.server === cp2Url && clock.pendingTimers === 1);
      clock.advance(250);
      const third = (await cp2.until(() => cp2.socket))!;
      hello(cp2);
      await cp2.until(() => cp2.frames.some((f) => f.type === "helloAck"));

      // The third dies too: round the list, past the refused first, to the second again.
      third.terminate();
      await eventually(() => several.server === deadUrl && clock.pendingTimers === 1);
      clock.advance(250);
      await eventually(() => several.server === serverUrl && clock.pendingTimers === 1);
      clock.advance(500); // a second failure in a row: the backoff doubled
      await cp.until(() => cp.socket !== first && cp.socket);
      expect(cp.upgrades.map((u) => u.status)).toEqual([101, 101]);
      expect(cp2.upgrades.map((u) => u.status)).toEqual([101]);
    } finally {
      several.stop();
      await cp2.close();
    }
  });

  it("treats three heartbeat intervals of silence as a dead link and reconnects", async () => {
    void client.run();
    await cp.until(() => cp.socket);
    const first = cp.socket!;
    await eventually(() => clock.pendingTimers === 1); // the watchdog, armed when the socket opened
    clock.advance(2999);
    expect(first.readyState).toBe(first.OPEN);
    clock.advance(1);
    await cp.until(() => first.readyState === first.CLOSED);
    await eventually(() => clock.pendingTimers === 1); // the reconnect timer
    clock.advance(250);
    await cp.until(() => cp.socket !== first && cp.socket);
    expect(cp.upgrades.map((u) => u.status)).toEqual([101, 101]);
    expect(cp.upgrades[0]?.jti).not.toBe(cp.upgrades[1]?.jti);
  });
});

/** Waits until a condition holds, polling; fails after 10 s naming the condition. */
async function eventually(check: () => boolean): Promise<void> {
  await vi.waitFor(
    () => {
      if (!check()) throw new Error(`timed out waiting for ${check.toString()}`);
    },
    { timeout: 10_000, interval: 2 },
  );
}

describe("backoffDelay", () => {
  it("doubles from the base, caps, and spreads with full jitter", () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, 500, 60000, () => 0.999999))).toEqual([499, 999, 1999, 3999]);
    expect(backoffDelay(20, 500, 60000, () => 0.5)).toBe(30000);
    expect(backoffDelay(5, 500, 60000, () => 0)).toBe(0);
  });
});

it("builds the WebSocket URL from the server URL, keeping a path prefix", () => {
  expect(wsUrlOf("https://cp.example.com")).toBe(`wss://cp.example.com${AGENT_ROUTES.connect}`);
  expect(wsUrlOf("http://10.0.0.1:8080/holdfast/")).toBe(`ws://10.0.0.1:8080/holdfast${AGENT_ROUTES.connect}`);
});
