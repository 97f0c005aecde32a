import fs from "node:fs";
import path from "node:path";
import { createRunContext } from "../agent.js";
import { DEFAULT_LIMITS, type AgentLimits } from "../env.js";
import type { EngineRegistry } from "../engines/types.js";
import { Dispatcher } from "../link/dispatch.js";
import type { LinkControl } from "../link/session-info.js";
import { silentLogger } from "../log.js";
import type { RunContext } from "../runs/context.js";
import { openStore } from "../store/open-store.js";
import type { AgentStore } from "../store/store.js";
import { makeTempDir, ManualClock } from "./helpers.js";

/** Test-only: a store, a run context and a dispatcher in a fresh temp dir, on a manual clock. */
export interface RunEnv {
  dir: string;
  dataDir: string;
  stagingRoot: string;
  clock: ManualClock;
  store: AgentStore;
  ctx: RunContext;
  dispatcher: Dispatcher;
  /** Closes the store and opens it again (what a restart after kill -9 sees), with a fresh context. */
  reopen(): void;
  cleanup(): void;
}

export const testLink: LinkControl = {
  replayAfter: () => 0,
  sessionInfo: () => ({ sessionId: "ses_test", connectedAt: "2026-01-01T00:00:00.000Z" }),
};

export function setupRunEnv(opts: { engines?: EngineRegistry; limits?: Partial<AgentLimits>; prefix?: string } = {}): RunEnv {
  const dir = makeTempDir(opts.prefix ?? "runenv");
  const dataDir = path.join(dir, "data");
  const stagingRoot = path.join(dir, "staging");
  const clock = new ManualClock();
  const build = () => {
    const { store } = openStore({ dataDir, stagingRoot, clock });
    const ctx = createRunContext({
      store,
      stagingRoot,
      clock,
      log: silentLogger,
      tmpDir: dir,
      ...(opts.engines ? { engines: opts.engines } : {}),
      limits: { ...DEFAULT_LIMITS, ...opts.limits },
    });
    const dispatcher = new Dispatcher({ run: ctx, agentId: "agt_test", serverUrl: () => "http://127.0.0.1:1", log: silentLogger });
    return { store, ctx, dispatcher };
  };
  const env: RunEnv = {
    dir,
    dataDir,
    stagingRoot,
    clock,
    ...build(),
    reopen() {
      env.ctx.sweeper.stop();
      env.store.close();
      Object.assign(env, build());
    },
    cleanup() {
      env.ctx.sweeper.stop();
      env.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}
