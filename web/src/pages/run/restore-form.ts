import { AgeIdentity, DatabaseName, escapeDatabasePattern, RestoreRunBody } from "@holdfast/shared";
import { z } from "zod";

export interface RestoreFields {
  targetDatasourceId: string;
  overwrite: boolean;
  /** The target's name typed again, when the restore overwrites it. */
  confirm: string;
  /** The age identity of an encrypted backup: in the form's memory for this request only. */
  identity: string;
  /** A whole server's backup: the databases to restore (none chosen: all of them). */
  databases: string[];
  /** A whole server's backup: a database's new name; empty keeps its own. */
  renames: Record<string, string>;
  /** Apply the roles (users) the backup carries. */
  globals: boolean;
}

export const EMPTY_RESTORE: RestoreFields = { targetDatasourceId: "", overwrite: false, confirm: "", identity: "", databases: [], renames: {}, globals: false };

/** The renames that change a name: source to target, trimmed. */
function renamesOf(fields: Pick<RestoreFields, "databases" | "renames">): Record<string, string> {
  const chosen = (name: string) => fields.databases.length === 0 || fields.databases.includes(name);
  return Object.fromEntries(
    Object.entries(fields.renames)
      .map(([from, to]) => [from, to.trim()] as const)
      .filter(([from, to]) => to !== "" && to !== from && chosen(from)),
  );
}

/**
 * The restore form's checks: the API's own field schemas (`RestoreRunBody`, `AgeIdentity`,
 * `DatabaseName`), plus what only the console asks: the target's name typed to confirm an overwrite.
 */
export function restoreFieldsSchema(encrypted: boolean, nameOf: (datasourceId: string) => string | undefined) {
  return z
    .object({
      targetDatasourceId: z.string().min(1, "Choose the datasource to restore into").pipe(RestoreRunBody.shape.targetDatasourceId),
      overwrite: z.boolean(),
      confirm: z.string(),
      identity: encrypted ? z.string().trim().min(1, "This backup is encrypted: paste the age identity it was encrypted for").pipe(AgeIdentity) : z.string(),
      databases: z.array(z.string()),
      renames: z.record(z.string(), z.string()),
      globals: z.boolean(),
    })
    .superRefine((v, ctx) => {
      const name = nameOf(v.targetDatasourceId);
      if (v.overwrite && name !== undefined && v.confirm !== name) ctx.addIssue({ code: "custom", path: ["confirm"], message: `Type ${name} to confirm` });
      const seen = new Map<string, string>();
      for (const [from, to] of Object.entries(renamesOf(v))) {
        const checked = DatabaseName.safeParse(to);
        if (!checked.success) ctx.addIssue({ code: "custom", path: ["renames", from], message: checked.error.issues[0]?.message ?? "not a database name" });
        const other = seen.get(to);
        if (other !== undefined) ctx.addIssue({ code: "custom", path: ["renames", from], message: `${other} is restored into ${to} too` });
        seen.set(to, from);
      }
    });
}

/** The request body: the identity only when the backup is encrypted; databases and renames only for a whole server's. */
export function restoreBody(fields: RestoreFields, encrypted: boolean, server = false): RestoreRunBody {
  const rename = server ? renamesOf(fields) : {};
  return RestoreRunBody.parse({
    targetDatasourceId: fields.targetDatasourceId,
    options: {
      ...(fields.overwrite ? { overwrite: true } : {}),
      ...(encrypted ? { identity: fields.identity.trim() } : {}),
      ...(server && fields.globals ? { globals: true } : {}),
      // Names picked from the backup's list, each escaped to match itself alone.
      ...(server && fields.databases.length > 0 ? { databases: { include: fields.databases.map(escapeDatabasePattern) } } : {}),
      ...(Object.keys(rename).length > 0 ? { rename } : {}),
    },
  });
}
