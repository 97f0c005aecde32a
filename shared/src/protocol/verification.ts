import { z } from "zod";
import { ErrorBody } from "../errors.js";

/** One difference the restore drill found between the source and the restored copy. */
export const DrillMismatch = z.object({
  /** The table (`schema.table`) or file (relative path) that differs. */
  item: z.string().max(500),
  /** What the source had (`rows=12 checksum=…`), null when the item is missing there. */
  expected: z.string().max(300).nullable(),
  /** What the restored copy had, null when the item is missing there. */
  found: z.string().max(300).nullable(),
});
export type DrillMismatch = z.infer<typeof DrillMismatch>;

/**
 * The restore drill's verdict, recorded with the backup run. `verified: false` never fails the run
 * (its artifact exists and may still be useful), but it is what the console and retention look at:
 * retention never deletes the newest verified backup.
 */
export const Verification = z.object({
  verified: z.boolean(),
  /** How the comparison was made, in words (the engine's fingerprint method). */
  method: z.string().max(500),
  /** Tables or files compared. */
  checked: z.number().int().min(0),
  /** The first differences (at most 50); empty when verified. */
  mismatches: z.array(DrillMismatch).max(50),
  /** Why the drill could not restore or compare, when that is why it is false. */
  error: ErrorBody.optional(),
  durationMs: z.number().int().min(0),
});
export type Verification = z.infer<typeof Verification>;
