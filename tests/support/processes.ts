import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const HOLDFAST_BIN = path.join(ROOT, "control-plane/bin/holdfast.js");
export const AGENT_BIN = path.join(ROOT, "agent/bin/holdfast-agent.js");
/** The V8 options the packaged launcher gives the agent's Node (agent/bin/node-flags.json): tests run what ships. */
export const AGENT_NODE_FLAGS: string[] = JSON.parse(readFileSync(path.join(ROOT, "agent/bin/node-flags.json"), "utf8"));

/** Faster heartbeats so "offline" shows within seconds; nothing else differs from production. */
const TEST_ENV = { HOLDFAST_HEARTBEAT_MS: "5000", HOLDFAST_LOG_LEVEL: "info" };

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

export function tempDir(label: string): string {
  return mkdtempSync(path.join(tmpdir(), `holdfast-e2e-${label}-`));
}

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** Runs a CLI to completion, feeding `input` on stdin. */
export function runCli(bin: string, args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return runProgram(process.execPath, [bin, ...args], { env: { ...process.env, ...TEST_ENV, ...opts.env }, ...(opts.input === undefined ? {} : { input: opts.input }) });
}

/** Runs any program to completion with exactly `env`, feeding `input` on stdin. */
export function runProgram(file: string, args: string[], opts: { env: Record<string, string | undefined>; input?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env, stdio: ["pipe", "pipe", "pipe"], ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}

export class ManagedProcess {
  output = "";
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    live.add(child);
    child.stdout?.on("data", (d) => (this.output += d));
    child.stderr?.on("data", (d) => (this.output += d));
    this.exited = new Promise((resolve) => child.on("exit", (code) => { live.delete(child); resolve(code); }));
  }

  /** The agent gets its launcher's V8 options unless `nodeFlags` says otherwise. */
  static start(bin: string, args: string[], env: Record<string, string> = {}, nodeFlags = bin === AGENT_BIN ? AGENT_NODE_FLAGS : []): ManagedProcess {
    return new ManagedProcess(spawn(process.execPath, [...nodeFlags, bin, ...args], { env: { ...process.env, ...TEST_ENV, ...env }, stdio: ["ignore", "pipe", "pipe"] }));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL if it has not gone after `graceMs`. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill("SIGTERM");
    const t = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }
}

export type ControlPlane = {
  url: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  process: ManagedProcess;
  /**
   * The first admin's setup link (`…/setup#token=…`) that `holdfast serve` printed on stderr at its
   * latest start, while no user existed; undefined once one does.
   */
  setupUrl(): string | undefined;
  /** Runs `holdfast <args>` against the same data. */
  cli(args: string[], input?: string): Promise<CliResult>;
  restart(): Promise<void>;
};

export async function startControlPlane(opts: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<ControlPlane> {
  const dataDir = tempDir("cp");
  const port = await freePort();
  const env: Record<string, string> = { HOLDFAST_DATA_DIR: dataDir, ...(opts.databaseUrl ? { HOLDFAST_DATABASE_URL: opts.databaseUrl } : {}), ...opts.env };
  const url = `http://127.0.0.1:${port}`;
  const boot = async () => {
    const p = ManagedProcess.start(HOLDFAST_BIN, ["serve", "--port", String(port)], env);
    await waitFor(`the control plane on ${url}`, async () => {
      if (!p.running) throw new Error(`holdfast serve exited:\n${p.output}`);
      const res = await fetch(`${url}/healthz`).catch(() => undefined);
      return res?.ok;
    });
    return p;
  };
  const cp: ControlPlane = {
    url,
    port,
    dataDir,
    env,
    process: await boot(),
    // Printed before the listening line, which boot waited for (through /healthz answering).
    setupUrl: () => /^\s+(http:\/\/\S+\/setup#token=\S+)$/m.exec(cp.process.output)?.[1],
    cli: (args, input) => runCli(HOLDFAST_BIN, args, { env, ...(input === undefined ? {} : { input }) }),
    async restart() {
      await cp.process.stop();
      cp.process = await boot();
    },
  };
  return cp;
}

/** The password of the users createAdmin makes. */
export const ADMIN_PASSWORD = "correct horse battery staple";

/** An admin user and its API token, made with the CLI as an operator would. */
export async function createAdmin(cp: Pick<ControlPlane, "cli">, email = "admin@example.test"): Promise<string> {
  const user = await cp.cli(["user", "create", "--email", email, "--role", "admin", "--password-stdin"], `${ADMIN_PASSWORD}\n`);
  if (user.code !== 0) throw new Error(`user create failed: ${user.stderr}`);
  const token = await cp.cli(["api-token", "create", "--email", email]);
  if (token.code !== 0) throw new Error(`api-token create failed: ${token.stderr}`);
  return token.stdout.trim();
}

export type Agent = { agentId: string; dataDir: string; process: ManagedProcess | undefined; start(): Promise<void>; env: Record<string, string> };

/** Enrolls an agent through the CLI (token from `holdfast token create`) and optionally starts it. */
export async function enrollAgent(cp: ControlPlane, opts: { serverUrl?: string; env?: Record<string, string>; nodeFlags?: string[] } = {}): Promise<Agent> {
  const token = await cp.cli(["token", "create"]);
  if (token.code !== 0) throw new Error(`token create failed: ${token.stderr}`);
  const dataDir = tempDir("agent");
  const env = { ...opts.env };
  const enrolled = await runCli(AGENT_BIN, ["enroll", "--server", opts.serverUrl ?? cp.url, "--data-dir", dataDir, "--name", "e2e-agent"], {
    env: { ...env, HOLDFAST_ENROLL_TOKEN: token.stdout.trim() },
  });
  if (enrolled.code !== 0) throw new Error(`enroll failed: ${enrolled.stderr}`);
  const agent: Agent = {
    agentId: enrolled.stdout.trim(),
    dataDir,
    env,
    process: undefined,
    async start() {
      agent.process = ManagedProcess.start(AGENT_BIN, ["run", "--data-dir", dataDir], env, opts.nodeFlags);
    },
  };
  return agent;
}

export type Api = {
  get(p: string): Promise<{ status: number; body: any }>;
  post(p: string, body?: unknown): Promise<{ status: number; body: any }>;
  patch(p: string, body: unknown): Promise<{ status: number; body: any }>;
  delete(p: string): Promise<{ status: number; body: any }>;
  /** The raw answer (an artifact's bytes, its headers), the token added. */
  fetch(p: string, headers?: Record<string, string>): Promise<Response>;
};

export function api(cp: ControlPlane, token: string): Api {
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${cp.url}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    get: (p) => call("GET", p),
    post: (p, b) => call("POST", p, b),
    patch: (p, b) => call("PATCH", p, b),
    delete: (p) => call("DELETE", p),
    fetch: (p, headers = {}) => fetch(`${cp.url}/api/v1${p}`, { headers: { authorization: `Bearer ${token}`, ...headers } }),
  };
}

export async function waitForAgentStatus(client: Api, agentId: string, status: "online" | "offline"): Promise<void> {
  await waitFor(`agent ${agentId} ${status}`, async () => {
    const res = await client.get("/agents");
    return res.body?.items?.find((a: { id: string; status: string }) => a.id === agentId)?.status === status;
  });
}

export async function waitForRun(client: Api, runId: string, done: (run: any) => boolean, timeoutMs = 120_000): Promise<any> {
  return waitFor(`run ${runId}`, async () => {
    const res = await client.get(`/runs/${runId}`);
    return res.status === 200 && done(res.body) ? res.body : undefined;
  }, timeoutMs);
}

export type Stack = { cp: ControlPlane; agent: Agent; client: Api; stop(): Promise<void> };

/** A control plane (`env`), an admin's API client, and one enrolled agent (`agentEnv`) that is online. */
export async function startStack(opts: { databaseUrl?: string; env?: Record<string, string>; agentEnv?: Record<string, string> } = {}): Promise<Stack> {
  const cp = await startControlPlane({ ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}), ...(opts.env ? { env: opts.env } : {}) });
  const client = api(cp, await createAdmin(cp));
  const agent = await enrollAgent(cp, opts.agentEnv ? { env: opts.agentEnv } : {});
  await agent.start();
  await waitForAgentStatus(client, agent.agentId, "online");
  return {
    cp,
    agent,
    client,
    async stop() {
      await agent.process?.stop();
      await cp.process.stop();
    },
  };
}
