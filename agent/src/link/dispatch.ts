import {
  Commands,
  HoldfastError,
  makeErrorResponse,
  makeOkResponse,
  type CommandData,
  type CommandFrame,
  type CommandPayload,
  type CommandType,
  type FrameRejection,
  type ResponseEnvelope,
} from "@holdfast/shared/protocol";
import {
  createDatabaseConfig,
  deleteDatabaseConfig,
  getDatabaseConfig,
  listDatabaseConfigs,
  listDatabases,
  testDatabaseConnection,
  updateDatabaseConfig,
} from "../datasources/configs.js";
import { describeCapabilities } from "../host/capabilities.js";
import { getServerHealth } from "../host/server-health.js";
import { datasourceScope, explainPathDenial } from "../host/path-denial.js";
import type { Logger } from "../log.js";
import { cancelBackup, cancelQueuedBackup } from "../queue/cancel-run.js";
import { getExecutionQueue } from "../queue/execution-queue.js";
import { getExecutionStatus } from "../queue/execution-status.js";
import { startBackup } from "../queue/start-backup.js";
import type { RestoreDeps } from "../restore/execute-restore.js";
import { startRestore } from "../restore/start-restore.js";
import type { RunContext } from "../runs/context.js";
import { preflight } from "../runs/preflight.js";
import { getRunErrorDetails, getRunLogs } from "../runs/run-details.js";
import { cleanupStaging } from "../staging/cleanup-staging.js";
import { getArtifactMetadata } from "../staging/staged-artifact.js";
import { IdempotentCommands } from "../store/idempotency.js";
import { describeSession, type LinkControl } from "./session-info.js";
import type { ServerTrust } from "./server-trust.js";
import { readArtifact, uploadArtifact, type UploadOptions, type UploadResult } from "./upload-artifact.js";

export interface HandlerResult<T> {
  status: 200 | 202;
  data: T;
  /** Work that starts once the response is on its way (readArtifact's upload). */
  after?: () => void;
}

type Handler<T extends CommandType> = (
  payload: CommandPayload<T>,
  link: LinkControl,
) => HandlerResult<CommandData<T>> | Promise<HandlerResult<CommandData<T>>>;

export type Handlers = { [T in CommandType]: Handler<T> };

export interface DispatchDeps {
  run: RunContext;
  agentId: string;
  /** The control plane the link is connected to now: artifacts go to, and come from, that one. */
  serverUrl: () => string;
  log: Logger;
  upload?: (opts: UploadOptions) => Promise<UploadResult>;
  /** Tests swap the restore's transport or target (restore/execute-restore.ts). */
  restore?: Omit<RestoreDeps, "serverUrl" | "trust">;
  /** How every HTTP call to the control plane is trusted (pins); absent in tests on plain loopback. */
  trust?: ServerTrust;
  /** Keeps pins the control plane pushed (identity.json). */
  savePins?: (pins: readonly string[]) => Promise<void>;
}

const ok = <T>(data: T, status: 200 | 202 = 200): HandlerResult<T> => ({ status, data });

/** A datasource's path the hardened unit refuses is answered with the drop-in that allows it (host/path-denial.ts). */
const withPathHint = <T>(run: RunContext, datasourceId: string, work: () => Promise<T>): Promise<T> =>
  work().catch((err: unknown) => {
    throw explainPathDenial(err, datasourceScope(run.store, datasourceId, "read"));
  });

/** THE map from command type to domain function: parse is done, so each handler only calls and replies. */
export function createHandlers(deps: DispatchDeps): Handlers {
  const { run } = deps;
  const upload = deps.upload ?? uploadArtifact;
  return {
    capabilities: async () => ok(await describeCapabilities(run.engines)),
    getServerHealth: async () => ok(await getServerHealth(run)),
    getSession: (_payload, link) => ok(describeSession(link, deps.agentId)),
    validateServerBackupPrerequisites: async (payload) => ok(await preflight(run, payload.datasourceId)),
    createDatabaseConfig: (payload) => ok(createDatabaseConfig(run, payload)),
    updateDatabaseConfig: async (payload) => ok(await updateDatabaseConfig(run, payload)),
    deleteDatabaseConfig: (payload) => ok(deleteDatabaseConfig(run, payload.datasourceId)),
    listDatabaseConfigs: () => ok(listDatabaseConfigs(run)),
    getDatabaseConfig: (payload) => ok(getDatabaseConfig(run, payload.datasourceId)),
    listDatabases: async (payload) => ok(await withPathHint(run, payload.datasourceId, () => listDatabases(run, payload.datasourceId))),
    testDatabaseConnection: async (payload) => ok(await withPathHint(run, payload.datasourceId, () => testDatabaseConnection(run, payload.datasourceId))),
    startBackup: async (payload) => ok(await startBackup(run, payload), 202),
    startRestore: (payload) => ok(startRestore(run, payload, { ...deps.restore, serverUrl: deps.serverUrl(), ...(deps.trust ? { trust: deps.trust } : {}) }), 202),
    cancelBackup: async (payload) => ok(await cancelBackup(run, payload.runId)),
    cancelQueuedBackup: (payload) => ok(cancelQueuedBackup(run, payload.runId)),
    getExecutionStatus: (payload) => ok(getExecutionStatus(run.store, payload.runId)),
    getExecutionQueue: () => ok(getExecutionQueue(run)),
    getRunLogs: (payload) => ok(getRunLogs(run.store, payload.runId)),
    getRunErrorDetails: (payload) => ok(getRunErrorDetails(run.store, payload.runId)),
    getArtifactMetadata: (payload) => ok(getArtifactMetadata(run.store, payload.runId)),
    async readArtifact(payload) {
      const { data, startUpload } = await readArtifact({ store: run.store, serverUrl: deps.serverUrl(), log: deps.log, upload, ...(deps.trust ? { trust: deps.trust } : {}) }, payload);
      return { status: 202, data, after: startUpload };
    },
    cleanupStaging: (payload) => ok(cleanupStaging(run, payload.runId)),
    resync: (payload, link) => ok({ replayed: link.replayAfter(payload.afterSequence) }),
    async updatePins(payload) {
      if (!deps.trust) return ok({ added: [], pins: [] });
      const added = deps.trust.addPins(payload.pins);
      if (added.length > 0) await deps.savePins?.(deps.trust.pins);
      return ok({ added, pins: [...deps.trust.pins] });
    },
  };
}

export interface Dispatched {
  response: ResponseEnvelope;
  after?: (() => void) | undefined;
}

/** Runs one parsed command; mutating commands with an idempotency key through IdempotentCommands. */
export class Dispatcher {
  private readonly handlers: Handlers;
  private readonly idempotency: IdempotentCommands;

  constructor(private readonly deps: DispatchDeps) {
    this.handlers = createHandlers(deps);
    this.idempotency = new IdempotentCommands(deps.run.store, deps.run.limits.idempotencyWindowMs);
  }

  dispatch(frame: CommandFrame, link: LinkControl): Promise<Dispatched> {
    const idempotencyKey = Commands[frame.type].mutating ? frame.idempotencyKey : undefined;
    if (!idempotencyKey) return this.execute(frame, link);
    return this.idempotency.answer({ ...frame, idempotencyKey }, () => this.execute(frame, link));
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
