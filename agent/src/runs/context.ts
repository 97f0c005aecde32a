import type { Clock } from "@holdfast/shared";
import type { EngineRegistry } from "../engines/types.js";
import type { Logger } from "../log.js";
import type { AgentStore } from "../store/store.js";
import type { BackupSlot } from "./backup-slot.js";

/** What the run functions need; built once by the agent, replaced piecemeal by tests. */
export interface RunContext {
  store: AgentStore;
  engines: EngineRegistry;
  stagingRoot: string;
  clock: Clock;
  log: Logger;
  slot: BackupSlot;
}
