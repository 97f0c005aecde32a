import { artifactMetaOf as eventArtifactMeta, type ArtifactMeta as EventArtifactMeta, type BackupOptions, type DeliveryState, type ErrorBody, type EventData, HoldfastError, type RunKind, type RunState, type RunTrigger, type Verification } from "@holdfast/shared";
import { asc, eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";

export type RunRow = Tables["runs"]["$inferSelect"];

/** shared's ArtifactMeta as `runs.artifact_meta` keeps it: the drill's verdict has its own columns. */
export type ArtifactMeta = Omit<EventArtifactMeta, "verification">;

/** The event's artifact metadata, as kept in `runs.artifact_meta`. */
export function artifactMetaOf(d: EventData<"backupCompleted">): ArtifactMeta {
  const { verification: _v, ...meta } = eventArtifactMeta(d);
  return meta;
}

export interface RunView {
  runId: string;
  kind: RunKind;
  trigger: RunTrigger;
  state: RunState;
  datasourceId: string;
  agentId: string;
  scheduleId: string | null;
  /** A restore run: the backup run it restores; null for backups. */
  sourceRunId: string | null;
  /** The step the agent last reported while running; null before it started and once it ended. */
  step: string | null;
  /** Bytes written so far, from the agent's last backupProgress. */
  progressBytes: number | null;
  queuedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  sizeBytes: number | null;
  /** The dump's size before compression and encryption. */
  rawSizeBytes: number | null;
  sha256: string | null;
  /** Format, codec, level, server version, tables, ratio, encryption recipient, parts; null until completed. */
  artifact: ArtifactMeta | null;
  /** The backup options the run was asked for (null: the defaults). */
  options: BackupOptions | null;
  /** A scheduled run: the cron time it fired for. */
  fireTime: string | null;
  /** 1 for a first try; a retry is a new run with attempt + 1 and retryOf. */
  attempt: number;
  retryOf: string | null;
  /** The restore drill's verdict (`verify: true`); null when no drill ran. */
  verified: boolean | null;
  verification: Verification | null;
  error: ErrorBody | null;
  cancelReason: string | null;
  /** When the agent's staged copy expired (artifactExpired); deliveries not yet pulled then fail. */
  artifactExpiredAt: string | null;
  deliveries: { destinationId: string; state: DeliveryState; path: string | null }[];
  /** A legal hold (`POST /runs/:runId/hold`): nothing deletes the backup's copies while it is set. */
  hold: RunHold | null;
}

/** Who held a backup, when, and why. */
export interface RunHold {
  heldAt: string;
  /** The admin's e-mail. */
  heldBy: string;
  reason: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The run row, or RUN_NOT_FOUND. */
export async function getRunRow(ctx: DbContext, runId: string): Promise<RunRow> {
  const { db, t } = ctx.database;
  const row = (await db.select().from(t.runs).where(eq(t.runs.id, runId)).limit(1))[0];
  if (!row) throw new HoldfastError("RUN_NOT_FOUND", `No run ${runId}`, { runId });
  return row;
}

/** A run with its deliveries, as the API shows it. */
export async function getRun(ctx: DbContext, runId: string): Promise<RunView> {
  const run = await getRunRow(ctx, runId);
  const { db, t } = ctx.database;
  const deliveries = await db
    .select({ destinationId: t.deliveries.destinationId, state: t.deliveries.state, path: t.deliveries.path })
    .from(t.deliveries)
    .where(eq(t.deliveries.runId, runId))
    .orderBy(asc(t.deliveries.id));
  return toRunView(run, deliveries);
}

/** The API's view of a run row and its deliveries (in delivery id order). */
export function toRunView(run: RunRow, deliveries: { destinationId: string; state: string; path: string | null }[]): RunView {
  return {
    runId: run.id,
    kind: run.kind as RunKind,
    trigger: run.trigger as RunTrigger,
    state: run.state as RunState,
    datasourceId: run.datasourceId,
    agentId: run.agentId,
    scheduleId: run.scheduleId,
    sourceRunId: run.sourceRunId,
    step: run.step,
    progressBytes: run.progressBytes,
    queuedAt: iso(run.queuedAt),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    sizeBytes: run.sizeBytes,
    rawSizeBytes: run.rawSizeBytes,
    sha256: run.sha256,
    artifact: run.artifactMeta === null ? null : (JSON.parse(run.artifactMeta) as ArtifactMeta),
    options: run.options === null ? null : (JSON.parse(run.options) as BackupOptions),
    fireTime: iso(run.fireTime),
    attempt: run.attempt,
    retryOf: run.retryOf,
    verified: run.verified,
    verification: run.verification === null ? null : (JSON.parse(run.verification) as Verification),
    error: run.error === null ? null : (JSON.parse(run.error) as ErrorBody),
    cancelReason: run.cancelReason,
    artifactExpiredAt: iso(run.artifactExpiredAt),
    deliveries: deliveries.map((d) => ({ ...d, state: d.state as DeliveryState })),
    hold: run.heldAt === null ? null : { heldAt: iso(run.heldAt)!, heldBy: run.heldBy ?? "", reason: run.holdReason ?? "" },
  };
}
