import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { systemClock, type Role } from "@holdfast/shared";
import { createEnrollmentToken } from "../enrollment/create-token.js";
import { loadEnv } from "../env.js";
import { type RunningServer, type StartOptions, startServer } from "../server.js";
import { createApiToken } from "../users/api-tokens.js";
import { createUser } from "../users/create-user.js";
import { type Dialect, createTestDatabase } from "./databases.js";
import { enrollOverHttp, FakeAgent, type Identity } from "./fake-agent.js";

export interface TestServer extends RunningServer {
  dir: string;
  /** A user with this role and its API token. */
  token(role: Role): Promise<string>;
  enrollmentToken(): Promise<string>;
  enroll(): Promise<Identity>;
  /** Enrolls and connects a fake agent, resolved once the control plane counts it online. */
  agent(): Promise<FakeAgent>;
  api(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

/** A real control plane on port 0 with a fresh database and spool. */
export async function startTestServer(dialect: Dialect = "sqlite", opts: StartOptions & { vars?: Record<string, string> } = {}): Promise<TestServer> {
  const db = dialect === "postgres" ? await createTestDatabase("postgres") : undefined;
  const dir = await mkdtemp(join(tmpdir(), "holdfast-srv-"));
  const env = loadEnv(
    { dataDir: dir, port: 0, host: "127.0.0.1" },
    {
      HOLDFAST_HEARTBEAT_MS: "60000",
      HOLDFAST_COMMAND_TIMEOUT_MS: "5000",
      // Health checks and probes off unless a test turns them on: they would send commands to scripted agents and write to test folders.
      HOLDFAST_HEALTH_INTERVAL_MS: "0",
      HOLDFAST_DESTINATION_PROBE_INTERVAL_MS: "0",
      ...(db?.databaseUrl ? { HOLDFAST_DATABASE_URL: db.databaseUrl } : {}),
      ...opts.vars,
    },
  );
  if (db) await db.database.close();
  const server = await startServer(env, {
    quiet: true,
    logger: pino({ level: process.env.HOLDFAST_TEST_LOG ?? "silent" }),
    puller: { backoffBaseMs: 10, backoffCapMs: 50 },
    ...opts,
  });
  const ctx = { database: server.ctx.database, clock: systemClock };
  const tokens = new Map<Role, string>();
  const agents: FakeAgent[] = [];
  const self: TestServer = {
    ...server,
    dir,
    async token(role) {
      const known = tokens.get(role);
      if (known) return known;
      const email = `${role}@test.local`;
      await createUser(ctx, { email, role, password: "a long enough password" });
      const { token } = await createApiToken(ctx, { email });
      tokens.set(role, token);
      return token;
    },
    async enrollmentToken() {
      return (await createEnrollmentToken(ctx)).token;
    },
    async enroll() {
      return enrollOverHttp(server.url, await self.enrollmentToken());
    },
    async agent() {
      const agent = await FakeAgent.connect(server.url, await self.enroll());
      agents.push(agent);
      const { vi } = await import("vitest");
      await vi.waitFor(() => {
        if (!server.ctx.link.isOnline(agent.identity.agentId)) throw new Error("not online yet");
      });
      return agent;
    },
    async api(path, init = {}) {
      const headers = new Headers(init.headers);
      if (init.token) headers.set("authorization", `Bearer ${init.token}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      return fetch(`${server.url}${path}`, { ...init, headers, body: body ?? null });
    },
    async stop() {
      for (const a of agents) a.ws.terminate();
      await server.close();
      await db?.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}
