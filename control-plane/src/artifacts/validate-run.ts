import type { ValidateRunAnswer, ValidateRunBody } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { openStoredDestination } from "../destinations/open-destination.js";
import { verifyStoredCopy } from "../deliveries/verify-stored-copy.js";
import { backupCopies, isLiveCopy } from "./backup-copies.js";

type ValidateContext = Pick<AppContext, "database" | "clock" | "env" | "secrets">;

/**
 * Re-reads a completed backup at every destination holding a live copy (one after another: a
 * full check reads the whole artifact from each) and says what each copy was found to be. Nothing
 * is recorded: a copy found missing or altered stays as the catalogue has it, for the operator to
 * act on (copy it again, delete it).
 */
export async function validateRun(ctx: ValidateContext, runId: string, body: ValidateRunBody): Promise<ValidateRunAnswer> {
  const b = await backupCopies(ctx, runId);
  const recorded = { runId, sizeBytes: b.run.sizeBytes, sha256: b.run.sha256, parts: b.parts };
  const copies: ValidateRunAnswer["copies"] = [];
  // By destination name: the order a person reads the answer in, the same on every call.
  const live = b.copies.filter((copy) => isLiveCopy(copy, b.objectName)).sort((x, y) => x.destinationName.localeCompare(y.destinationName) || x.deliveryId.localeCompare(y.deliveryId));
  for (const c of live) {
    const found = await openStoredDestination(ctx, c.destinationId).then(
      (destination) => verifyStoredCopy(destination, b.objectName, recorded, body.depth),
      (err: unknown) => ({ verdict: "unreachable" as const, checked: body.depth === "full" ? ("sha256" as const) : ("size" as const), bytesRead: 0, detail: (err as Error).message, errorCode: (err as { code?: string }).code ?? null }),
    );
    copies.push({ deliveryId: c.deliveryId, destinationId: c.destinationId, destinationName: c.destinationName, objectName: b.objectName, ...found });
  }
  return { runId, depth: body.depth, ok: copies.length > 0 && copies.every((c) => c.verdict === "ok"), copies };
}
