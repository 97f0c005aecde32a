import { createHash } from "node:crypto";
import {
  Commands,
  HoldfastError,
  makeErrorResponse,
  makeOkResponse,
  PROTOCOL_VERSION,
  type CommandData,
  type CommandFrame,
  type CommandPayload,
  type CommandType,
  type FrameRejection,
  type ResponseEnvelope,
} from "@holdfast/shared";
import {
  createDatabaseConfig,
  deleteDatabaseConfig,
  getDatabaseConfig,
  listDatabaseConfigs,
  listDatabases,
  testDatabaseConnection,
  updateDatabaseConfig,
} from "../datasources/configs.js";
import { getServerHealth } from "../host/server-health.js";
import type { Logger } from "../log.js";
import { getArtifactMetadata, requireArtifact } from "../staging/staged-artifact.js";
import { cancelBackup, cancelQueuedBackup } from "../queue/cancel-run.js";
import { cleanupStaging } from "../staging/cleanup-staging.js";
import type { RunContext } from "../runs/context.js";
import { getExecutionQueue } from "../queue/execution-queue.js";
import { getExecutionStatus } from "../queue/execution-status.js";
import { codecAvailable, preflight } from "../runs/preflight.js";
import { getRunErrorDetails, getRunLogs } from "../runs/run-details.js";
import { startBackup } from "../queue/start-backup.js";
import type { RestoreDeps } from "../restore/execute-restore.js";
import { startRestore } from "../restore/start-restore.js";
import { findIdempotencyRecord, saveIdempotencyRecord } from "../store/idempotency.js";
import { AGENT_VERSION } from "../version.js";
import { canonicalJson } from "./canonical-json.js";
import { uploadArtifact, type UploadOptions, type UploadResult } from "./upload-artifact.js";

export interface HandlerResult<T> {
  status: 200 | 202;
  data: T;
  /** Work that starts once the response is on its way (readArtifact's upload). */
  after?: () => void;
}

/** What a handler may ask of the live connection. */
export interface LinkControl {
  /** Sends every outbox event after `afterSequence`; returns how many. */
  replayAfter(afterSequence: number): number;
  /** The session the control plane opened with `hello`; null before it. */
  sessionInfo(): { sessionId: string; connectedAt: string } | null;
}

type Handler<T extends CommandType> = (
  payload: CommandPayload<T>,
  link: LinkControl,
) => HandlerResult<CommandData<T>> | Promise<HandlerResult<CommandData<T>>>;

export type Handlers = { [T in CommandType]: Handler<T> };

export interface DispatchDeps {
  run: RunContext;
  agentId: string;
  serverUrl: string;
  log: Logger;
  upload?: (opts: UploadOptions) => Promise<UploadResult>;
  /** Tests swap the restore's transport or target (restore/execute-restore.ts). */
  restore?: Omit<RestoreDeps, "serverUrl">;
}

const ok = <T>(data: T, status: 200 | 202 = 200): HandlerResult<T> => ({ status, data });

/** THE map from command type to domain function: parse is done, so each handler only calls and wraps. */
export function createHandlers(deps: DispatchDeps): Handlers {
  const { run } = deps;
  const upload = deps.upload ?? uploadArtifact;
  return {
    async capabilities() {
      const engines = await Promise.all(
        Object.values(run.engines).map(async (engine) => {
          const toolVersion = await engine.toolVersion();
          return { engine: engine.engine, available: toolVersion !== null, toolVersion };
        }),
      );
      const codecs = (["gzip", "zstd", "none"] as const).map(async (codec) => ((await codecAvailable(codec)) ? [codec] : []));
      return ok({ protocolVersion: PROTOCOL_VERSION, agentVersion: AGENT_VERSION, engines, codecs: (await Promise.all(codecs)).flat() });
    },
    async getServerHealth() {
      return ok(await getServerHealth(run));
    },
    getSession(_payload, link) {
      const session = link.sessionInfo();
      if (!session) throw new HoldfastError("AGENT_OFFLINE", "No session: the control plane has not said hello on this link");
      return ok({ agentId: deps.agentId, ...session, protocolVersion: PROTOCOL_VERSION, agentVersion: AGENT_VERSION });
    },
    async validateServerBackupPrerequisites(payload) {
      return ok(await preflight(run, payload.datasourceId));
    },
    createDatabaseConfig: (payload) => ok(createDatabaseConfig(run, payload)),
    updateDatabaseConfig: (payload) => ok(updateDatabaseConfig(run, payload)),
    deleteDatabaseConfig: (payload) => ok(deleteDatabaseConfig(run, payload.datasourceId)),
    listDatabaseConfigs: () => ok(listDatabaseConfigs(run)),
    getDatabaseConfig: (payload) => ok(getDatabaseConfig(run, payload.datasourceId)),
    listDatabases: async (payload) => ok(await listDatabases(run, payload.datasourceId)),
    testDatabaseConnection: async (payload) => ok(await testDatabaseConnection(run, payload.datasourceId)),
    startBackup: async (payload) => ok(await startBackup(run, payload), 202),
    startRestore: (payload) => ok(startRestore(run, payload, { ...deps.restore, serverUrl: deps.serverUrl }), 202),
    cancelBackup: async (payload) => ok(await cancelBackup(run, payload.runId)),
    cancelQueuedBackup: (payload) => ok(cancelQueuedBackup(run, payload.runId)),
    getExecutionStatus: (payload) => ok(getExecutionStatus(run.store, payload.runId)),
    getExecutionQueue: () => ok(getExecutionQueue(run)),
    getRunLogs: (payload) => ok(getRunLogs(run.store, payload.runId)),
    getRunErrorDetails: (payload) => ok(getRunErrorDetails(run.store, payload.runId)),
    getArtifactMetadata: (payload) => ok(getArtifactMetadata(run.store, payload.runId)),
    readArtifact(payload) {
      const artifact = requireArtifact(run.store, payload.runId);
      if (payload.offset > artifact.sizeBytes) {
        throw new HoldfastError("VALIDATION_FAILED", `offset ${payload.offset} is past the artifact's end (${artifact.sizeBytes})`, {
          runId: payload.runId,
          sizeBytes: artifact.sizeBytes,
        });
      }
      const log = deps.log.child({ runId: payload.runId });
      return {
        status: 202,
        data: { runId: payload.runId, sizeBytes: artifact.sizeBytes, sha256: artifact.sha256 },
        after: () => {
          upload({
            serverUrl: deps.serverUrl,
            runId: payload.runId,
            path: artifact.path,
            offset: payload.offset,
            sizeBytes: artifact.sizeBytes,
            uploadToken: payload.uploadToken,
          }).then(
            (r) => log[r.status >= 200 && r.status < 300 ? "info" : "warn"]({ status: r.status, serverOffset: r.serverOffset, offset: payload.offset }, "artifact upload finished"),
            // Not fatal: the control plane asks again with the offset it holds.
            (err: unknown) => log.warn({ err: { message: (err as Error)?.message, code: (err as NodeJS.ErrnoException)?.code } }, "artifact upload failed"),
          );
        },
      };
    },
    cleanupStaging: (payload) => ok(cleanupStaging(run, payload.runId)),
    resync: (payload, link) => ok({ replayed: link.replayAfter(payload.afterSequence) }),
  };
}

export function payloadSha256(type: string, payload: unknown): string {
  return createHash("sha256").update(canonicalJson({ type, payload })).digest("hex");
}

export interface Dispatched {
  response: ResponseEnvelope;
  after?: (() => void) | undefined;
}

/**
 * Runs one parsed command. Mutating commands are idempotent by key: the same key and payload gets
 * the stored response (only successes are stored, so a refused start can be retried), the same key
 * with another payload 422 IDEMPOTENCY_KEY_REUSED. Concurrent duplicates share one execution.
 */
export class Dispatcher {
  private readonly handlers: Handlers;
  private readonly inflight = new Map<string, { hash: string; promise: Promise<Dispatched> }>();

  constructor(private readonly deps: DispatchDeps) {
    this.handlers = createHandlers(deps);
  }

  async dispatch(frame: CommandFrame, link: LinkControl): Promise<Dispatched> {
    const key = Commands[frame.type].mutating ? frame.idempotencyKey : undefined;
    if (!key) return this.execute(frame, link);
    const hash = payloadSha256(frame.type, frame.payload);
    const reused = () => new HoldfastError("IDEMPOTENCY_KEY_REUSED", "This idempotency key was used with another request", { idempotencyKey: key });
    const running = this.inflight.get(key);
    if (running) {
      if (running.hash !== hash) return { response: makeErrorResponse(frame.type, frame.requestId, reused()) };
      const shared = await running.promise;
      return { response: { ...shared.response, requestId: frame.requestId } };
    }
    const stored = findIdempotencyRecord(this.deps.run.store, key, this.deps.run.limits.idempotencyWindowMs);
    if (stored) {
      if (stored.payloadSha256 !== hash || stored.commandType !== frame.type) {
        return { response: makeErrorResponse(frame.type, frame.requestId, reused()) };
      }
      return { response: { ...stored.response, requestId: frame.requestId } };
    }
    const promise = this.execute(frame, link).then((result) => {
      if (result.response.success) {
        saveIdempotencyRecord(this.deps.run.store, { key, commandType: frame.type, payloadSha256: hash, response: result.response });
      }
      return result;
    });
    this.inflight.set(key, { hash, promise });
    try {
      return await promise;
    } finally {
      this.inflight.delete(key);
    }
  }

  private async execute(frame: CommandFrame, link: LinkControl): Promise<Dispatched> {
    const handler = this.handlers[frame.type] as Handler<CommandType>;
    const payload = frame.payload as Record<string, unknown>;
    const log = this.deps.log.child({
      requestId: frame.requestId,
      type: frame.type,
      ...(typeof payload.runId === "string" ? { runId: payload.runId } : {}),
      ...(typeof payload.scheduleId === "string" ? { scheduleId: payload.scheduleId } : {}),
      ...(typeof payload.datasourceId === "string" ? { datasourceId: payload.datasourceId } : {}),
    });
    try {
      const result = await handler(frame.payload as never, link);
      log.debug({ statusCode: result.status }, "command answered");
      return { response: makeOkResponse(frame.type, frame.requestId, result.status, result.data), after: result.after };
    } catch (err) {
      const error =
        err instanceof HoldfastError ? err : new HoldfastError("INTERNAL_ERROR", "Internal error", { requestId: frame.requestId });
      if (err instanceof HoldfastError) log.info({ code: error.code, statusCode: error.status }, "command refused");
      else log.error({ err }, "command failed");
      return { response: makeErrorResponse(frame.type, frame.requestId, error) };
    }
  }
}

/**
 * A frame parseServerFrame refused: an error response when its requestId was readable (typed after
 * the frame's own `type` when that is a sane string), else null: the caller logs and drops it.
 */
export function answerRejection(text: string, rejection: FrameRejection): ResponseEnvelope | null {
  if (!rejection.requestId) return null;
  let type = "unknown";
  try {
    const t = (JSON.parse(text) as { type?: unknown }).type;
    if (typeof t === "string" && /^[A-Za-z][A-Za-z0-9]{0,54}$/.test(t)) type = t;
  } catch {
    // unreadable: keep "unknown"
  }
  return makeErrorResponse(type, rejection.requestId, rejection.error);
}
