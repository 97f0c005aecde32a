import { z } from "zod";
import { Id } from "../ids.js";
import { ErrorBody } from "../errors.js";
import { RunTrigger } from "../run-state.js";
import { AgeRecipient, ArtifactPart, Codec, DumpFormat } from "./backup-options.js";
import { Verification } from "./verification.js";

const isoTime = z.iso.datetime({ offset: true });

/** backupCompleted: the run's end with its artifact (size, hash, name) and what describes it. */
const BackupCompleted = z.object({
  finishedAt: isoTime,
  sizeBytes: z.number().int().min(0),
  rawSizeBytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  codec: Codec,
  fileName: z.string().min(1).max(255),
  // Metadata added after the first agents shipped; optional so an older agent's events still validate.
  format: DumpFormat.optional(),
  /** Compression level; null for `none`. */
  level: z.number().int().nullable().optional(),
  serverVersion: z.string().max(500).optional(),
  tablesCount: z.number().int().min(0).nullable().optional(),
  durationMs: z.number().int().min(0).optional(),
  /** sizeBytes / rawSizeBytes (smaller is better); null when the dump was empty. */
  ratio: z.number().min(0).nullable().optional(),
  /** age-encrypted for `recipient` (a public key); sizeBytes and sha256 are of the encrypted bytes. */
  encrypted: z.boolean().optional(),
  recipient: AgeRecipient.optional(),
  /** Split at maxFileSizeMb: consecutive slices of the stored bytes, in order, each with its SHA-256. */
  parts: z.array(ArtifactPart).max(1_000_000).optional(),
  /** The restore drill's verdict, when the backup asked for one (`verify: true`). */
  verification: Verification.optional(),
  /** A whole-server backup (format `server`): the databases it holds, in the order of the tar. */
  databases: z.array(z.string().min(1).max(255)).max(10_000).optional(),
});

/**
 * What backupCompleted says of an artifact beyond the run's end time, its size, hash and name (format,
 * codec, level, versions, encryption, parts, the drill's verdict): what the agent and the control plane
 * keep with a run.
 */
export const ArtifactMeta = BackupCompleted.omit({ finishedAt: true, sizeBytes: true, rawSizeBytes: true, sha256: true, fileName: true });
export type ArtifactMeta = z.infer<typeof ArtifactMeta>;

/** Every event an agent emits, by type: the schema of its `data`. Events about a run carry `runId`. */
export const Events = {
  backupQueued: z.object({
    datasourceId: Id,
    trigger: RunTrigger,
    scheduleId: Id.nullable(),
    queuedPosition: z.number().int().min(0),
  }),
  /** A queued run left the queue for the slot; backupStarted follows. */
  backupDequeued: z.object({ datasourceId: Id, waitedMs: z.number().int().min(0) }),
  backupStarted: z.object({ datasourceId: Id, startedAt: isoTime }),
  /** A step of the run began: what the operator sees as "now dumping", "now staging". */
  backupStep: z.object({ step: z.enum(["preflight", "dump", "compress", "stage", "drill", "verify"]), message: z.string().max(500) }),
  backupProgress: z.object({
    step: z.enum(["dump", "compress", "stage"]),
    bytes: z.number().int().min(0),
    percent: z.number().min(0).max(100).nullable(),
  }),
  backupCompleted: BackupCompleted,
  backupFailed: z.object({ finishedAt: isoTime, error: ErrorBody }),
  backupCancelled: z.object({ finishedAt: isoTime, reason: z.string().max(500).nullable() }),
  /** A queued run waited past its TTL and was dropped without running. */
  backupExpired: z.object({ finishedAt: isoTime, queuedAt: isoTime }),
  /** A restore run took the slot; its steps are download, verify, restore (in that order). */
  restoreStarted: z.object({ datasourceId: Id, sourceRunId: Id, startedAt: isoTime }),
  restoreStep: z.object({ step: z.enum(["download", "verify", "restore"]), message: z.string().max(500) }),
  restoreProgress: z.object({ step: z.enum(["download", "restore"]), bytes: z.number().int().min(0), percent: z.number().min(0).max(100).nullable() }),
  restoreCompleted: z.object({ finishedAt: isoTime, durationMs: z.number().int().min(0) }),
  /** `stage` is where it stopped; `error.details.stderr` holds the restore tool's stderr tail when it got that far. */
  restoreFailed: z.object({ finishedAt: isoTime, error: ErrorBody, stage: z.enum(["download", "verify", "restore"]) }),
  restoreCancelled: z.object({ finishedAt: isoTime, reason: z.string().max(500).nullable() }),
  /** A staged artifact passed its TTL and was removed; readArtifact now answers 410. */
  artifactExpired: z.object({ expiredAt: isoTime }),
} as const;

export type EventType = keyof typeof Events;
export const EVENT_TYPES = Object.keys(Events) as [EventType, ...EventType[]];
export type EventData<T extends EventType> = z.infer<(typeof Events)[T]>;

/** The ArtifactMeta of a backupCompleted event: the fields ArtifactMeta's shape names, nothing else. */
export function artifactMetaOf(event: EventData<"backupCompleted">): ArtifactMeta {
  return Object.fromEntries(Object.entries(event).filter(([key]) => Object.hasOwn(ArtifactMeta.shape, key))) as ArtifactMeta;
}

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(Events, type);
}
