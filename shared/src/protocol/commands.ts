import { z } from "zod";
import { Id } from "../ids.js";
import { ErrorBody } from "../errors.js";
import { AgentRunState, RunTrigger } from "../run-state.js";
import { DatasourceConfig, DatasourceConfigUpdate, DatasourceConnection, Engine, ToolPriority } from "./datasource.js";
import { MAX_AGENT_PINS, TlsPin } from "./tls-pins.js";
import { BackupOptions, Codec, DumpFormat, RestoreRequestOptions } from "./backup-options.js";

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const isoTime = z.iso.datetime({ offset: true });

/** A datasource as the agent shows it: never the password itself. */
const DatasourceView = z.object({
  datasourceId: Id,
  name: z.string(),
  engine: Engine,
  connection: DatasourceConnection,
  maxDurationMinutes: z.number().int(),
  priority: ToolPriority.optional(),
});

/** What a connection test found. */
const ConnectionTest = z.object({
  ok: z.literal(true),
  latencyMs: z.number(),
  serverVersion: z.string(),
  databaseSizeBytes: z.number().nullable(),
});

const ExecutionStatus = z.object({ runId: Id, state: AgentRunState, queuedPosition: z.number().int().nullable() });

const QueuedRun = z.object({
  runId: Id,
  datasourceId: Id,
  scheduleId: Id.nullable(),
  trigger: RunTrigger,
  requestedBy: z.string(),
  queuedAt: isoTime,
  position: z.number().int().min(1),
  expiresAt: isoTime,
});

const Issue = z.object({ code: z.string(), message: z.string() });

/**
 * Every command the control plane may send to an agent: its payload, the data of a successful
 * response, and whether it mutates (mutating commands require an idempotencyKey).
 */
export const Commands = {
  capabilities: {
    mutating: false,
    payload: z.object({}).strict(),
    data: z.object({
      protocolVersion: z.number().int(),
      agentVersion: z.string(),
      engines: z.array(z.object({ engine: z.string(), available: z.boolean(), toolVersion: z.string().nullable() })),
      codecs: z.array(z.string()),
    }),
  },
  /** Liveness and load of the agent's host, for the control plane's health view. */
  getServerHealth: {
    mutating: false,
    payload: z.object({}).strict(),
    data: z.object({
      status: z.enum(["ok", "degraded"]),
      agentVersion: z.string(),
      uptimeSeconds: z.number().min(0),
      stagingDir: z.string(),
      stagingFreeBytes: z.number().int().nullable(),
      runningRunId: Id.nullable(),
      queueLength: z.number().int().min(0),
      unackedEvents: z.number().int().min(0),
    }),
  },
  /** Who the agent is and the session it holds. */
  getSession: {
    mutating: false,
    payload: z.object({}).strict(),
    data: z.object({ agentId: Id, sessionId: Id, connectedAt: isoTime, protocolVersion: z.number().int(), agentVersion: z.string() }),
  },
  /** The preflight startBackup runs too: a blocking issue refuses the run (DATABASE_AUTH_FAILED, DATABASE_NOT_FOUND, TOOL_NOT_FOUND, DATABASE_UNREACHABLE, else 503 PRECONDITION_FAILED). */
  validateServerBackupPrerequisites: {
    mutating: false,
    payload: z.object({ datasourceId: Id }).strict(),
    data: z.object({
      ok: z.boolean(),
      blockingIssues: z.array(Issue),
      warnings: z.array(Issue),
      toolStatus: z.object({
        tool: z.string(),
        found: z.boolean(),
        version: z.string().nullable(),
        toolMajor: z.number().int().nullable(),
        serverMajor: z.number().int().nullable(),
        compatible: z.boolean().nullable(),
        codec: z.object({ name: z.string(), available: z.boolean() }),
        stagingWritable: z.boolean(),
        freeBytes: z.number().int().nullable(),
        lastDumpBytes: z.number().int().nullable(),
      }),
    }),
  },
  createDatabaseConfig: {
    mutating: true,
    payload: DatasourceConfig,
    data: z.object({ datasourceId: Id, connection: DatasourceConnection }),
  },
  /**
   * Replaces a datasource's config (DATASOURCE_NOT_FOUND when there is none, VALIDATION_FAILED for
   * another engine); with `test: true` only once the agent connected with it, so a failed test
   * leaves the stored config as it was. Answers the config as saved, its password masked, and the test's result.
   */
  updateDatabaseConfig: {
    mutating: true,
    payload: DatasourceConfigUpdate,
    data: DatasourceView.extend({ test: ConnectionTest.nullable() }),
  },
  /** Refused with 409 INVALID_STATE_TRANSITION while a run of it is queued or running. */
  deleteDatabaseConfig: {
    mutating: true,
    payload: z.object({ datasourceId: Id }).strict(),
    data: z.object({ datasourceId: Id, deleted: z.literal(true) }),
  },
  listDatabaseConfigs: {
    mutating: false,
    payload: z.object({}).strict(),
    data: z.object({ items: z.array(DatasourceView) }),
  },
  getDatabaseConfig: {
    mutating: false,
    payload: z.object({ datasourceId: Id }).strict(),
    data: DatasourceView,
  },
  /** The databases the datasource's credentials can see on its server. */
  listDatabases: {
    mutating: false,
    payload: z.object({ datasourceId: Id }).strict(),
    data: z.object({ items: z.array(z.object({ name: z.string(), sizeBytes: z.number().int().nullable() })) }),
  },
  testDatabaseConnection: {
    mutating: false,
    payload: z.object({ datasourceId: Id }).strict(),
    data: ConnectionTest,
  },
  startBackup: {
    mutating: true,
    payload: z
      .object({
        runId: Id,
        datasourceId: Id,
        trigger: RunTrigger,
        scheduleId: Id.optional(),
        requestedBy: z.string().max(320),
        /** How to dump and compress; absent = plain SQL through gzip -6 (the walking skeleton's artifact). */
        options: BackupOptions.optional(),
      })
      .strict(),
    data: ExecutionStatus,
  },
  /** Stops the running run: the dump is killed, staging removed, the run ends `cancelled`. */
  cancelBackup: {
    mutating: true,
    payload: z.object({ runId: Id }).strict(),
    data: ExecutionStatus,
  },
  /** Removes a queued run; 404 QUEUED_BACKUP_NOT_FOUND if it is not queued (any more). */
  cancelQueuedBackup: {
    mutating: true,
    payload: z.object({ runId: Id }).strict(),
    data: ExecutionStatus,
  },
  getExecutionStatus: {
    mutating: false,
    payload: z.object({ runId: Id }).strict(),
    data: ExecutionStatus,
  },
  getExecutionQueue: {
    mutating: false,
    payload: z.object({}).strict(),
    data: z.object({
      running: z.object({ runId: Id, datasourceId: Id, trigger: RunTrigger, startedAt: isoTime }).nullable(),
      queued: z.array(QueuedRun),
      maxQueueSize: z.number().int().positive(),
    }),
  },
  getRunLogs: {
    mutating: false,
    payload: z.object({ runId: Id }).strict(),
    data: z.object({
      runId: Id,
      lines: z.array(z.object({ at: isoTime, level: z.enum(["debug", "info", "warn", "error"]), message: z.string() })),
    }),
  },
  getRunErrorDetails: {
    mutating: false,
    payload: z.object({ runId: Id }).strict(),
    data: z.object({ runId: Id, state: AgentRunState, error: ErrorBody.nullable() }),
  },
  getArtifactMetadata: {
    mutating: false,
    payload: z.object({ runId: Id }).strict(),
    data: z.object({
      runId: Id,
      sizeBytes: z.number().int().min(0),
      sha256: sha256Hex,
      chunkSize: z.number().int().positive(),
      expiresAt: z.iso.datetime({ offset: true }),
      fileName: z.string(),
    }),
  },
  /**
   * Asks the agent to upload the artifact by HTTP from `offset`, presenting `uploadToken` (never in a
   * URL). Answered 202 once the upload has started; the upload's own HTTP response tells the outcome.
   * For a run still staging (docs/link.md §8, "pull during staging"), an agent that can follow the
   * file answers `growing: true` with the bytes written so far and a null `sha256`, and its upload
   * ends when the file is committed; an agent that cannot answers 404 ARTIFACT_NOT_FOUND.
   */
  readArtifact: {
    mutating: false,
    payload: z.object({ runId: Id, offset: z.number().int().min(0), uploadToken: z.string().min(32).max(256) }).strict(),
    data: z.object({
      runId: Id,
      sizeBytes: z.number().int().min(0),
      /** Null only while `growing`: the hash is known when staging ends (backupCompleted). */
      sha256: sha256Hex.nullable(),
      growing: z.boolean().optional(),
    }),
  },
  cleanupStaging: {
    mutating: true,
    payload: z.object({ runId: Id }).strict(),
    data: z.object({ runId: Id, removed: z.boolean() }),
  },
  /**
   * Restores a backup run's artifact into a datasource of this agent (a restore run `runId`, kind
   * "restore"). The agent downloads the artifact with `GET {artifacts}/:sourceRunId` presenting
   * `downloadToken` (never in a URL), resuming with `Range`, verifies `sizeBytes` and `sha256` before
   * it touches the target, then restores. Takes the one slot like a manual backup: 409
   * BACKUP_ALREADY_RUNNING when busy. Answered 202 once the run started; events tell the rest.
   */
  startRestore: {
    mutating: true,
    payload: z
      .object({
        runId: Id,
        sourceRunId: Id,
        targetDatasourceId: Id,
        sizeBytes: z.number().int().min(0),
        sha256: sha256Hex,
        fileName: z.string().min(1).max(255),
        /** Format, codec and encryption as recorded from backupCompleted; absent, the agent reads them from fileName. */
        artifact: z.object({ format: DumpFormat, codec: Codec, encrypted: z.boolean() }).strict().optional(),
        downloadToken: z.string().min(32).max(256),
        /** `identity`: the age private key for an encrypted artifact; relayed, never stored or logged. */
        options: RestoreRequestOptions.default({}),
      })
      .strict(),
    data: z.object({ runId: Id, state: AgentRunState }),
  },
  /**
   * The pins of the control plane's TLS chain and of the key its next certificate will use
   * (HOLDFAST_TLS_NEXT_KEY), sent over the trusted link after each hello: the agent adds the new ones
   * to its identity, so a certificate renewed with that key strands no agent. Adding is idempotent.
   */
  updatePins: {
    mutating: false,
    payload: z.object({ pins: z.array(TlsPin).min(1).max(MAX_AGENT_PINS) }).strict(),
    data: z.object({ added: z.array(TlsPin), pins: z.array(TlsPin) }),
  },
  /** Replays every outbox event after `afterSequence`. */
  resync: {
    mutating: false,
    payload: z.object({ afterSequence: z.number().int().min(0) }).strict(),
    data: z.object({ replayed: z.number().int().min(0) }),
  },
} as const;

export type CommandType = keyof typeof Commands;
export const COMMAND_TYPES = Object.keys(Commands) as [CommandType, ...CommandType[]];
export type CommandPayload<T extends CommandType> = z.infer<(typeof Commands)[T]["payload"]>;
export type CommandData<T extends CommandType> = z.infer<(typeof Commands)[T]["data"]>;

export function isCommandType(type: string): type is CommandType {
  return Object.hasOwn(Commands, type);
}
