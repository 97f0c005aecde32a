import type { Clock, CommandData, CommandPayload, CommandType } from "@holdfast/shared";
import type { DownloadTokens } from "./artifacts/download-tokens.js";
import type { UploadTokens } from "./artifacts/upload-tokens.js";
import type { Database } from "./db/index.js";
import type { Env } from "./env.js";
import type { Logger } from "./logger.js";
import type { SecretBox } from "./secrets/secret-box.js";

/** What the domain functions need from the agent link; `link/` implements it. */
export interface AgentLink {
  isOnline(agentId: string): boolean;
  /**
   * Sends a command and resolves with the agent's validated data. Rejects with the agent's own error,
   * AGENT_OFFLINE when no ready session exists, AGENT_TIMEOUT when no answer comes in time.
   */
  sendCommand<T extends CommandType>(
    agentId: string,
    type: T,
    payload: CommandPayload<T>,
    opts?: { idempotencyKey?: string },
  ): Promise<CommandData<T>>;
  /** Closes the agent's live session, if any, with the given close code. */
  disconnect(agentId: string, code: number, reason: string): void;
}

/** What the event ingestion and the link need from the artifact puller. */
export interface ArtifactPuller {
  /** Starts (or continues) pulling a completed run's artifact; a no-op when one is under way. */
  kick(runId: string): void;
  /** Resumes the pulls that waited for this agent. */
  onAgentOnline(agentId: string): void;
}

/** What the link needs from the firing loop (firing/). */
export interface SchedulerHooks {
  /** An agent's session is ready: its pending firings still within grace are sent now. */
  onAgentOnline(agentId: string): void;
}

/**
 * Everything a domain function may use, set once at start-up (openstatus's `ctx`). Tests build one
 * with the parts they need.
 */
export interface AppContext {
  database: Database;
  env: Env;
  clock: Clock;
  log: Logger;
  link: AgentLink;
  uploads: UploadTokens;
  /** Download tokens of restore runs (the restore direction of the artifact routes). */
  downloads: DownloadTokens;
  puller: ArtifactPuller;
  /** Seals and opens destination credentials under the master key, loaded once at start-up. */
  secrets: SecretBox;
  /** Absent where no scheduler runs (tests that build a context by hand). */
  scheduler?: SchedulerHooks;
}

/** A context slice for the functions that only touch the database. */
export type DbContext = Pick<AppContext, "database" | "clock">;
