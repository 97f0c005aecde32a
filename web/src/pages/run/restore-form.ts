import { AgeIdentity, RestoreRunBody } from "@holdfast/shared";
import { z } from "zod";

export interface RestoreFields {
  targetDatasourceId: string;
  overwrite: boolean;
  /** The target's name typed again, when the restore overwrites it. */
  confirm: string;
  /** The age identity of an encrypted backup: in the form's memory for this request only. */
  identity: string;
}

export const EMPTY_RESTORE: RestoreFields = { targetDatasourceId: "", overwrite: false, confirm: "", identity: "" };

/**
 * The restore form's checks: the API's own field schemas (`RestoreRunBody`, `AgeIdentity`), plus what
 * only the console asks: the target's name typed to confirm an overwrite.
 */
export function restoreFieldsSchema(encrypted: boolean, nameOf: (datasourceId: string) => string | undefined) {
  return z
    .object({
      targetDatasourceId: z.string().min(1, "Choose the datasource to restore into").pipe(RestoreRunBody.shape.targetDatasourceId),
      overwrite: z.boolean(),
      confirm: z.string(),
      identity: encrypted ? z.string().trim().min(1, "This backup is encrypted: paste the age identity it was encrypted for").pipe(AgeIdentity) : z.string(),
    })
    .superRefine((v, ctx) => {
      const name = nameOf(v.targetDatasourceId);
      if (v.overwrite && name !== undefined && v.confirm !== name) ctx.addIssue({ code: "custom", path: ["confirm"], message: `Type ${name} to confirm` });
    });
}

/** The request body: the identity only when the backup is encrypted. */
export function restoreBody(fields: RestoreFields, encrypted: boolean): RestoreRunBody {
  return RestoreRunBody.parse({
    targetDatasourceId: fields.targetDatasourceId,
    options: { ...(fields.overwrite ? { overwrite: true } : {}), ...(encrypted ? { identity: fields.identity.trim() } : {}) },
  });
}
