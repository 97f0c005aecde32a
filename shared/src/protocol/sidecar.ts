import { z } from "zod";
import { AgeRecipient, Codec, DumpFormat } from "./backup-options.js";
import { Engine } from "./datasource.js";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in lowercase hex");
const Iso = z.iso.datetime({ offset: true });
/** A part's object name: a plain file name beside the sidecar, never a path. */
const PartName = z.string().min(1).max(255).regex(/^[^/\\\0]+$/, "must be a file name beside the sidecar, not a path").refine((n) => n !== "." && n !== "..", "must be a file name");

/**
 * `<artifact>.json`, written beside every delivered artifact after the artifact itself: with it, a
 * restore needs the destination alone (which engine, how to decompress and decrypt, which hash to
 * check, which parts to join in which order). It holds the age recipient, a public key; never a
 * secret. Read back by the disaster restore (`holdfast-agent restore --from`), the catalogue import
 * and cleanup, so every reader parses it with this one schema.
 */
export const ArtifactSidecar = z.object({
  holdfastSidecar: z.literal(1),
  runId: z.string().min(1).max(64),
  datasourceId: z.string().min(1).max(64),
  engine: Engine.nullable(),
  /** The agent's file name; the object's name is the sidecar's own minus `.json`. */
  fileName: z.string().max(255).nullable(),
  sha256: Sha256,
  sizeBytes: z.number().int().min(0),
  rawSizeBytes: z.number().int().min(0).nullable(),
  format: DumpFormat.nullable(),
  codec: Codec.nullable(),
  level: z.number().int().nullable(),
  serverVersion: z.string().max(200).nullable(),
  createdAt: Iso,
  finishedAt: Iso.nullable(),
  encrypted: z.boolean(),
  recipient: AgeRecipient.nullable(),
  /** A split artifact: its parts in order, each with its object name and SHA-256; null when whole. */
  parts: z
    .array(z.object({ index: z.number().int().min(1), name: PartName, offset: z.number().int().min(0), sizeBytes: z.number().int().min(0), sha256: Sha256 }))
    .max(1_000_000)
    .nullable(),
});
export type ArtifactSidecar = z.infer<typeof ArtifactSidecar>;

/** The sidecar's object name beside an artifact. */
export const SIDECAR_SUFFIX = ".json";
