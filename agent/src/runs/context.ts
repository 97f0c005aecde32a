import type { Clock } from "@holdfast/shared";
import type { EngineRegistry } from "../engines/types.js";
import type { Logger } from "../log.js";
import type { AgentStore } from "../store/store.js";
import type { BackupSlot } from "../queue/backup-slot.js";
import type { Sweeper } from "../queue/sweeper.js";

/** The queue and retention knobs (queue/README.md); each has an environment variable. */
export interface AgentLimits {
  /** HOLDFAST_MAX_QUEUE_SIZE: queued runs beyond this answer 429 QUEUE_OVERFLOW. */
  maxQueueSize: number;
  /** HOLDFAST_QUEUE_TTL_MS: a queued run waiting longer ends `expired`. */
  queueTtlMs: number;
  /** HOLDFAST_ARTIFACT_TTL_MS: a staged artifact older than this is removed; reads answer 410. */
  artifactTtlMs: number;
  /** HOLDFAST_IDEMPOTENCY_WINDOW_MS: how long an idempotency key is remembered. */
  idempotencyWindowMs: number;
}

export const DEFAULT_LIMITS: AgentLimits = {
  maxQueueSize: 20,
  queueTtlMs: 6 * 60 * 60 * 1000,
  artifactTtlMs: 24 * 60 * 60 * 1000,
  idempotencyWindowMs: 24 * 60 * 60 * 1000,
};

/** What the run functions need; built once by the agent, replaced piecemeal by tests. */
export interface RunContext {
  store: AgentStore;
  engines: EngineRegistry;
  stagingRoot: string;
  clock: Clock;
  log: Logger;
  slot: BackupSlot;
  sweeper: Sweeper;
  limits: AgentLimits;
  /** When this agent process started (getServerHealth's uptime). */
  startedAt: Date;
}
