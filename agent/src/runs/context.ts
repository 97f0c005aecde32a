import type { Clock } from "@holdfast/shared/protocol";
import type { AgentLimits } from "../env.js";
import type { EngineRegistry } from "../engines/types.js";
import type { Logger } from "../log.js";
import type { AgentStore } from "../store/store.js";
import type { BackupSlot } from "../queue/backup-slot.js";
import type { Sweeper } from "../queue/sweeper.js";

/** What the run functions need; built once by the agent, replaced piecemeal by tests. */
export interface RunContext {
  store: AgentStore;
  engines: EngineRegistry;
  stagingRoot: string;
  clock: Clock;
  log: Logger;
  slot: BackupSlot;
  sweeper: Sweeper;
  /** Read once at start-up (env.ts). */
  limits: AgentLimits;
  /** When this agent process started (getServerHealth's uptime). */
  startedAt: Date;
}
