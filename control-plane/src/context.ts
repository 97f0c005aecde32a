import type { Clock, CommandData, CommandPayload, CommandType, RunKind } from "@holdfast/shared";
import type { DownloadTokens } from "./artifacts/download-tokens.js";
import type { UploadTokens } from "./artifacts/upload-tokens.js";
import type { TransferCaps } from "./bandwidth/transfer-caps.js";
import type { Database } from "./db/index.js";
import type { Env } from "./env.js";
import type { EventHub } from "./events/hub.js";
import type { Logger } from "./logger.js";
import type { SecretBox } from "./secrets/secret-box.js";
import type { ServerPins } from "./tls/server-pins.js";

/** What the domain functions need from the agent link; `link/` implements it. */
export interface AgentLink {
  /** Connected to this control plane or, as of a few seconds ago, to another replica on the database. */
  isOnline(agentId: string): boolean;
  /** Connected to this control plane: its socket is here (pulls and scheduled sends happen where it is). */
  holdsLink(agentId: string): boolean;
  /**
   * Sends a command and resolves with the agent's validated data, through the replica that holds its
   * link when that is another one (link/relay.ts). Rejects with the agent's own error, AGENT_OFFLINE
   * when no ready session exists anywhere, AGENT_TIMEOUT when no answer comes in time.
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

/** One progress sample of a running run, as event ingestion hands it to the live event feed. */
export interface ProgressReport {
  runId: string;
  agentId: string;
  datasourceId: string;
  kind: RunKind;
  step: string;
  bytes: number;
  percent: number | null;
  /** The agent's time of the sample, and of the run's start (epoch ms). */
  occurredAt: number;
  startedAt: number | null;
}

/**
 * What event ingestion tells the live event feed (events/). State changes need no call: the
 * database's triggers record them with the change.
 */
export interface ProgressFeed {
  report(progress: ProgressReport): void;
}

/** What the rest of the control plane tells notifications (notifications/): the worker and the agent presence alerts. */
export interface NotificationHooks {
  /** Sends were recorded: deliver them now. */
  kick(): void;
  /** The agent's session closed: "agent offline" once it stays away past the threshold. */
  agentOffline(agentId: string): void;
  /** The agent's session is ready: "agent back" if an offline alert was sent. */
  agentOnline(agentId: string): void;
}

/** Where the process is in its life: `/readyz` answers 503 once it is stopping. */
export interface Lifecycle {
  stopping: boolean;
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
  /** The bandwidth caps of the artifact transfers under way (per agent, per destination). */
  bandwidth: TransferCaps;
  /** Seals and opens destination credentials under the master key, loaded once at start-up. */
  secrets: SecretBox;
  /** Absent where no scheduler runs (tests that build a context by hand). */
  scheduler?: SchedulerHooks;
  /** Absent in contexts built by hand for tests that do not watch progress. */
  progress?: ProgressFeed;
  /** The live event feed's subscriptions (`GET /api/v1/events`); absent in contexts built by hand. */
  liveEvents?: EventHub;
  /** Absent in contexts built by hand: nothing is sent, sends stay recorded. */
  notifications?: NotificationHooks;
  /** Absent in contexts built by hand: such a process is never stopping. */
  lifecycle?: Lifecycle;
  /** The delivery worker, told when a delivery was recorded outside a pull (a copy); absent in contexts built by hand. */
  deliveries?: { kick(): void };
  /** The pins of the served TLS chain, the next key and the proxy's (tls/); absent in contexts built by hand: none known. */
  serverPins?: () => ServerPins;
}

/** A context slice for the functions that only touch the database. */
export type DbContext = Pick<AppContext, "database" | "clock">;
