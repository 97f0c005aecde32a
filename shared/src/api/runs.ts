import { z } from "zod";
import { Id } from "../ids.js";
import { BackupOptions, RestoreRequestOptions } from "../protocol/backup-options.js";

export const StartBackupBody = z
  .object({
    destinationIds: z.array(Id).min(1).max(20),
    idempotencyKey: z.string().min(1).max(200).optional(),
    options: BackupOptions.optional(),
    /** Run even inside a blackout window (else 409 BLACKOUT_WINDOW); the audit records it. */
    force: z.boolean().optional(),
    /** The schedule this is a "Run now" of: its blackout windows apply too. */
    scheduleId: Id.optional(),
  })
  .strict();
export type StartBackupBody = z.infer<typeof StartBackupBody>;

/** `POST /api/v1/runs/:runId/restore`: restores that backup run's artifact into a datasource. */
export const RestoreRunBody = z
  .object({
    targetDatasourceId: Id,
    /** `identity`: the age private key of an encrypted backup, used for this restore only and never stored. */
    options: RestoreRequestOptions.default({}),
  })
  .strict();
export type RestoreRunBody = z.infer<typeof RestoreRunBody>;

/** `POST /api/v1/runs/:runId/cancel` takes no options; a body, if sent, must be an empty object. */
export const CancelRunBody = z.object({}).strict();
export type CancelRunBody = z.infer<typeof CancelRunBody>;

/**
 * `DELETE /api/v1/runs/:runId/artifact?force=true`: `force` deletes a backup retention would never
 * delete (the newest good or newest verified one of its datasource).
 */
export const DeleteArtifactQuery = z
  .object({ force: z.enum(["true", "false"]).default("false").transform((v) => v === "true") })
  .strict();
export type DeleteArtifactQuery = z.infer<typeof DeleteArtifactQuery>;

/**
 * `POST /api/v1/runs/:runId/hold`: a legal hold on a completed backup, with why (a matter, a ticket).
 * Trimmed; what the run's detail and the retention preview show. Holding a held run replaces the
 * reason (and who and when), with no moment unheld in between.
 */
export const HoldRunBody = z
  .object({
    reason: z
      .string()
      .trim()
      .min(1, "must say why the backup is held")
      .max(500)
      // One line of text: it is printed by the CLI and logged, where control characters could forge output.
      .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must be one line without control characters"),
  })
  .strict();
export type HoldRunBody = z.infer<typeof HoldRunBody>;
