import { systemClock, type Clock } from "@holdfast/shared";
import { PostgresEngine } from "./engines/postgres.js";
import type { EngineRegistry } from "./engines/types.js";
import type { AgentEnv } from "./env.js";
import { readIdentity } from "./identity/identity-file.js";
import { readPrivateKey } from "./identity/keys.js";
import { LinkClient } from "./link/connect.js";
import { Dispatcher } from "./link/dispatch.js";
import { LinkSession } from "./link/session.js";
import type { Logger } from "./log.js";
import { BackupSlot } from "./runs/backup-slot.js";
import type { RunContext } from "./runs/context.js";
import { stagingRootFor } from "./runs/staging.js";
import { openStore } from "./store/open-store.js";
import type { AgentStore } from "./store/store.js";

export interface RunContextOptions {
  store: AgentStore;
  stagingRoot: string;
  clock: Clock;
  log: Logger;
  engines?: EngineRegistry;
  tmpDir?: string;
}

/** Wires the run functions together: one slot, the engines this host has. */
export function createRunContext(opts: RunContextOptions): RunContext {
  const ctx: RunContext = {
    store: opts.store,
    engines: opts.engines ?? { postgres: new PostgresEngine(opts.tmpDir ? { tmpDir: opts.tmpDir } : {}) },
    stagingRoot: opts.stagingRoot,
    clock: opts.clock,
    log: opts.log,
    slot: new BackupSlot(() => ctx),
  };
  return ctx;
}

export interface RunningAgent {
  ctx: RunContext;
  link: LinkClient;
  /** Resolves with the exit status once the link stopped (signal or revocation). */
  done: Promise<number>;
  stop(): void;
}

/** `holdfast-agent run`: open the store (closing interrupted runs), resume the queue, connect. */
export async function startAgent(env: AgentEnv, log: Logger, clock: Clock = systemClock): Promise<RunningAgent> {
  const identity = await readIdentity(env.dataDir);
  const privateKey = await readPrivateKey(env.dataDir);
  const stagingRoot = stagingRootFor(env.tmpDir, identity.agentId);
  const { store, recovered } = openStore({ dataDir: env.dataDir, stagingRoot, clock });
  for (const run of recovered) log.warn({ runId: run.runId }, "closed a run interrupted by a restart as failed (AGENT_RESTARTED)");
  const agentLog = log.child({ agentId: identity.agentId });
  const ctx = createRunContext({ store, stagingRoot, clock, log: agentLog, tmpDir: env.tmpDir });
  const dispatcher = new Dispatcher({ run: ctx, serverUrl: identity.serverUrl, log: agentLog });
  ctx.slot.startNext();
  const link = new LinkClient({
    identity,
    privateKey,
    clock,
    log: agentLog,
    heartbeatMs: env.heartbeatMs,
    reconnectBaseMs: env.reconnectBaseMs,
    reconnectCapMs: env.reconnectCapMs,
    createSession: (send, onReady) => new LinkSession({ store, dispatcher, log: agentLog, send, onReady }),
  });
  const done = link.run().finally(() => store.close());
  return { ctx, link, done, stop: () => link.stop(0) };
}
