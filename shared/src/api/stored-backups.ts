import { z } from "zod";
import { Id } from "../ids.js";

/*
 * The routes that treat a stored backup as objects at its destinations (issue 15): validate what
 * is stored, copy it to another destination, rebuild the catalogue from the sidecars found at a
 * destination, and find what a destination holds that the catalogue does not (cleanup). The CLI
 * and the console call them through the typed client; these are their one definition.
 */

/**
 * `POST /api/v1/runs/:runId/validate`: re-reads the stored artifact at each destination holding a
 * live copy. `full` reads every byte and checks size and SHA-256 (parts and whole); `size` checks
 * only that every object exists with the recorded size (the scrub's cheap depth).
 */
export const ValidateRunBody = z.object({ depth: z.enum(["full", "size"]).default("full") }).strict();
export type ValidateRunBody = z.infer<typeof ValidateRunBody>;

/** What one destination's copy was found to be. */
export const StoredCopyVerdict = z.enum([
  /** Every object there, with the recorded size (and SHA-256 at `full` depth). */
  "ok",
  /** An object (the artifact, a part or the sidecar) is not there. */
  "missing",
  /** An object is there with another size or SHA-256 than recorded. */
  "altered",
  /** The destination could not be read (credentials, network): nothing is known either way. */
  "unreachable",
]);
export type StoredCopyVerdict = z.infer<typeof StoredCopyVerdict>;

export const StoredCopyCheck = z.object({
  deliveryId: z.string(),
  destinationId: z.string(),
  destinationName: z.string(),
  /** The artifact's object name at the destination. */
  objectName: z.string(),
  verdict: StoredCopyVerdict,
  /** What was compared: `sha256` at full depth, `size` otherwise. */
  checked: z.enum(["sha256", "size"]),
  /** Bytes read to decide (0 at size depth). */
  bytesRead: z.number().int(),
  /** For anything but ok: which object and what was found, in a sentence. */
  detail: z.string().nullable(),
  /** The catalog's code for an unreachable destination. */
  errorCode: z.string().nullable(),
});
export type StoredCopyCheck = z.infer<typeof StoredCopyCheck>;

export const ValidateRunAnswer = z.object({
  runId: z.string(),
  depth: z.enum(["full", "size"]),
  /** True when every live copy is ok (and there is at least one). */
  ok: z.boolean(),
  copies: z.array(StoredCopyCheck),
});
export type ValidateRunAnswer = z.infer<typeof ValidateRunAnswer>;

/**
 * `POST /api/v1/runs/:runId/copies`: copies a completed backup to another destination, streamed by
 * the control plane from its spool or from a destination that holds a live copy. Answers 202 with
 * the new delivery's id: the copy is a delivery like any other (pending, retried, then completed or
 * failed; GET /runs/:runId/deliveries and the live `delivery.state` events follow it).
 */
export const CopyRunBody = z.object({ destinationId: Id }).strict();
export type CopyRunBody = z.infer<typeof CopyRunBody>;
export const CopyRunAnswer = z.object({ runId: z.string(), deliveryId: z.string(), destinationId: z.string() });
export type CopyRunAnswer = z.infer<typeof CopyRunAnswer>;

/**
 * `POST /api/v1/destinations/:id/catalogue/import`: reads every Holdfast sidecar at the destination
 * and records the backups the catalogue lacks (a run and a completed delivery each); a run it
 * already knows is left as it is. `dryRun` reports without writing.
 */
export const CatalogueImportBody = z.object({ dryRun: z.boolean().default(false) }).strict();
export type CatalogueImportBody = z.infer<typeof CatalogueImportBody>;

export const CatalogueImportEntry = z.object({
  runId: z.string(),
  datasourceId: z.string(),
  engine: z.string().nullable(),
  objectName: z.string(),
  sizeBytes: z.number().int(),
  createdAt: z.string(),
  /** imported (or would be, in a dry run); known: the catalogue has the run already; invalid: see reason. */
  outcome: z.enum(["imported", "known", "invalid"]),
  /** Why an entry is invalid (a sidecar that does not parse, an artifact or part missing or of another size). */
  reason: z.string().nullable(),
});
export type CatalogueImportEntry = z.infer<typeof CatalogueImportEntry>;

export const CatalogueImportAnswer = z.object({
  destinationId: z.string(),
  dryRun: z.boolean(),
  /** Sidecars found. */
  found: z.number().int(),
  imported: z.number().int(),
  entries: z.array(CatalogueImportEntry),
});
export type CatalogueImportAnswer = z.infer<typeof CatalogueImportAnswer>;

/**
 * `GET /api/v1/destinations/:id/orphans`: backups at the destination that follow Holdfast's naming
 * and carry a Holdfast sidecar but match no live delivery record. Never an object without a sidecar.
 */
export const OrphanBackup = z.object({
  /** The artifact's object name (its sidecar is this plus `.json`). */
  objectName: z.string(),
  runId: z.string(),
  datasourceId: z.string(),
  /** Every object of it that is present: parts or the artifact, and the sidecar. */
  objects: z.array(z.string()),
  bytes: z.number().int(),
  createdAt: z.string(),
});
export type OrphanBackup = z.infer<typeof OrphanBackup>;
export const OrphansAnswer = z.object({ destinationId: z.string(), items: z.array(OrphanBackup) });
export type OrphansAnswer = z.infer<typeof OrphansAnswer>;

/**
 * `POST /api/v1/destinations/:id/orphans/delete`: removes the named orphans, each only if it is
 * still an orphan when the control plane looks again (a name that became a live delivery since the
 * listing is skipped, never deleted).
 */
export const DeleteOrphansBody = z.object({ objectNames: z.array(z.string().min(1).max(1024)).min(1).max(10_000) }).strict();
export type DeleteOrphansBody = z.infer<typeof DeleteOrphansBody>;
export const DeleteOrphansAnswer = z.object({
  destinationId: z.string(),
  deleted: z.array(z.object({ objectName: z.string(), objects: z.array(z.string()), bytes: z.number().int() })),
  skipped: z.array(z.object({ objectName: z.string(), reason: z.string() })),
});
export type DeleteOrphansAnswer = z.infer<typeof DeleteOrphansAnswer>;
