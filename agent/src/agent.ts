import { HoldfastError, systemClock, type Clock } from "@holdfast/shared/protocol";
import { defaultEngines } from "./engines/registry.js";
import type { EngineRegistry } from "./engines/types.js";
import type { AgentEnv, AgentLimits } from "./env.js";
import { readIdentity } from "./identity/identity-file.js";
import { configuredServers } from "./identity/configured-server.js";
import { savePins } from "./identity/save-pins.js";
import { ServerTrust } from "./link/server-trust.js";
import { readPrivateKey } from "./identity/keys.js";
import { LinkClient } from "./link/connect.js";
import { Dispatcher } from "./link/dispatch.js";
import { LinkSession } from "./link/session.js";
import type { Logger } from "./log.js";
import { BackupSlot } from "./queue/backup-slot.js";
import type { RunContext } from "./runs/context.js";
import { stagingRootFor } from "./staging/run-folders.js";
import { Sweeper } from "./queue/sweeper.js";
import { openStore } from "./store/open-store.js";
import type { AgentStore } from "./store/store.js";

export interface RunContextOptions {
  store: AgentStore;
  stagingRoot: string;
  clock: Clock;
  log: Logger;
  engines?: EngineRegistry;
  tmpDir?: string;
  pgBinRoot?: string | undefined;
  limits: AgentLimits;
}

/** Wires the run functions together: one slot, one sweeper (not started), the engines this host has. */
export function createRunContext(opts: RunContextOptions): RunContext {
  const ctx: RunContext = {
    store: opts.store,
    engines: opts.engines ?? defaultEngines({ ...(opts.tmpDir ? { tmpDir: opts.tmpDir } : {}), ...(opts.pgBinRoot ? { pgBinRoot: opts.pgBinRoot } : {}) }),
    stagingRoot: opts.stagingRoot,
    clock: opts.clock,
    log: opts.log,
    slot: new BackupSlot(() => ctx),
    sweeper: new Sweeper(() => ctx),
    limits: opts.limits,
    startedAt: opts.clock.now(),
  };
  return ctx;
}

/** How long shutdown waits for the control plane to acknowledge the last events. */
export const SHUTDOWN_DRAIN_MS = 3_000;

export interface RunningAgent {
  ctx: RunContext;
  link: LinkClient;
  /** Resolves with the exit status once the link stopped (signal or revocation) and the store is closed. */
  done: Promise<number>;
  /**
   * SIGTERM/SIGINT: takes no new work (startBackup answers 503 AGENT_STOPPING), kills the running dump
   * (its run fails retryable AGENT_STOPPING, staging removed), gives the control plane up to
   * SHUTDOWN_DRAIN_MS to acknowledge the outbox, then closes the link and the store.
   */
  stop(): Promise<void>;
}

export interface StartAgentOptions {
  engines?: EngineRegistry;
  drainMs?: number;
}

/** `holdfast-agent run`: open the store (closing interrupted runs), sweep, resume the queue, connect. */
export async function startAgent(env: AgentEnv, log: Logger, clock: Clock = systemClock, opts: StartAgentOptions = {}): Promise<RunningAgent> {
  const identity = await readIdentity(env.dataDir);
  const servers = configuredServers(identity, env);
  const privateKey = await readPrivateKey(env.dataDir);
  const trust = new ServerTrust(servers[0]!, identity.pins, identity.insecure);
  // A plain URL to another host without --insecure never works: one line at start, not a retry loop.
  for (const server of servers) trust.checkTransport(server);
  const stagingRoot = stagingRootFor(env.tmpDir, identity.agentId);
  const agentLog = log.child({ agentId: identity.agentId });
  const { store, recovered, loosened } = openStore({ dataDir: env.dataDir, stagingRoot, clock });
  if (loosened.length > 0) {
    const all = loosened.every((entry) => entry.tightened);
    agentLog.warn({ loosened }, `the data dir or files in it were open to other users: ${all ? "tightened to 0700/0600" : "some could not be tightened (loosened[].tightened)"}`);
  }
  for (const run of recovered) agentLog.warn({ runId: run.runId, scheduleId: run.scheduleId }, "closed a run interrupted by a restart as failed (AGENT_RESTARTED)");
  const ctx = createRunContext({
    store,
    stagingRoot,
    clock,
    log: agentLog,
    tmpDir: env.tmpDir,
    pgBinRoot: env.pgBinRoot,
    ...(opts.engines ? { engines: opts.engines } : {}),
    limits: env.limits,
  });
  if (identity.insecure) agentLog.warn({ servers }, "enrolled with --insecure: plain ws:// and http:// to the control plane are accepted; tokens and backups may cross the network in clear");
  const dispatcher = new Dispatcher({
    run: ctx,
    agentId: identity.agentId,
    serverUrl: () => link.server,
    log: agentLog,
    trust,
    savePins: (pins) => savePins(env.dataDir, pins),
  });
  ctx.sweeper.start();
  ctx.slot.startNext();
  const link: LinkClient = new LinkClient({
    identity,
    servers,
    trust,
    privateKey,
    clock,
    log: agentLog,
    heartbeatMs: env.heartbeatMs,
    reconnectBaseMs: env.reconnectBaseMs,
    reconnectCapMs: env.reconnectCapMs,
    createSession: (send, onReady, refuse) => new LinkSession({ store, dispatcher, log: agentLog, send, onReady, refuse }),
  });
  const done = link.run().finally(async () => {
    // Revocation ends the link without stop(): the slot still has to let go before the store closes.
    ctx.sweeper.stop();
    await ctx.slot.stop(new HoldfastError("AGENT_STOPPING", "The agent stopped while this backup was running").toBody());
    store.close();
  });
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      agentLog.info("stopping: no new runs, cancelling the running one, flushing the outbox");
      ctx.sweeper.stop();
      await ctx.slot.stop(new HoldfastError("AGENT_STOPPING", "The agent was stopped while this backup was running").toBody());
      const drained = await link.drain(opts.drainMs ?? SHUTDOWN_DRAIN_MS).catch(() => false);
      if (!drained) agentLog.info("outbox not fully acknowledged before shutdown: the rest is replayed after the next connect");
      link.stop(0);
      await done;
    })();
    return stopping;
  };
  return { ctx, link, done, stop };
}
