import { z } from "zod";
import { AgentRunState, RunTrigger } from "../run-state.js";
import { DatasourceConfig, PostgresConnection } from "./datasource.js";

const id = z.string().min(1).max(128);
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

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
  createDatabaseConfig: {
    mutating: true,
    payload: DatasourceConfig,
    data: z.object({ datasourceId: id, connection: PostgresConnection }),
  },
  testDatabaseConnection: {
    mutating: false,
    payload: z.object({ datasourceId: id }).strict(),
    data: z.object({
      ok: z.literal(true),
      latencyMs: z.number(),
      serverVersion: z.string(),
      databaseSizeBytes: z.number().nullable(),
    }),
  },
  startBackup: {
    mutating: true,
    payload: z
      .object({
        runId: id,
        datasourceId: id,
        trigger: RunTrigger,
        scheduleId: id.optional(),
        requestedBy: z.string().max(320),
      })
      .strict(),
    data: z.object({ runId: id, state: AgentRunState, queuedPosition: z.number().int().nullable() }),
  },
  getExecutionStatus: {
    mutating: false,
    payload: z.object({ runId: id }).strict(),
    data: z.object({ runId: id, state: AgentRunState, queuedPosition: z.number().int().nullable() }),
  },
  getArtifactMetadata: {
    mutating: false,
    payload: z.object({ runId: id }).strict(),
    data: z.object({
      runId: id,
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
   */
  readArtifact: {
    mutating: false,
    payload: z.object({ runId: id, offset: z.number().int().min(0), uploadToken: z.string().min(32).max(256) }).strict(),
    data: z.object({ runId: id, sizeBytes: z.number().int().min(0), sha256: sha256Hex }),
  },
  cleanupStaging: {
    mutating: true,
    payload: z.object({ runId: id }).strict(),
    data: z.object({ runId: id, removed: z.boolean() }),
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
