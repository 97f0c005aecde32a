import { type ErrorCode, newId } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import type { AuthenticatedUser } from "../users/authenticated-user.js";

export type AuditContext = Pick<AppContext, "database" | "clock" | "log">;

/** Who acted: the user, and the credential (an API token's id, or `session`). */
export interface AuditActor {
  userId: string;
  email: string;
  credential: string;
}

/** One audit record. Nothing in it may be a secret: ids, names of fields, codes; never a value sent. */
export interface AuditEntry {
  /** `PATCH /users/:id` for an API call; a domain event otherwise (`session.signIn`, `artifact.download`). */
  action: string;
  /** Null when nobody is authenticated (a failed sign-in). */
  actor: AuditActor | null;
  /** The ids of the objects acted on, by role: `{id: "usr_…"}`, `{id: "ds_…", runId: "run_…"}`. */
  target?: Record<string, string>;
  /** The names of the fields a request sent (`["role", "disabled"]`), never their values. */
  fields?: readonly string[];
  /** The HTTP status the action was answered with (or would have been). */
  status: number;
  /** The catalog code of a refusal or failure. */
  errorCode?: ErrorCode | null;
  /** The client's address (`c.get("client").address`). */
  clientAddress: string;
  requestId?: string | null;
}

/** The actor of an authenticated request. */
export function auditActor(user: AuthenticatedUser): AuditActor {
  return { userId: user.id, email: user.email, credential: user.credential.kind === "api-token" ? user.credential.id : "session" };
}

/**
 * Writes one audit record. It never throws: a failed write is logged (with the entry, which holds
 * no secret) and the action it describes goes on, since refusing the request would not undo it.
 */
export async function recordAudit(ctx: AuditContext, entry: AuditEntry): Promise<void> {
  try {
    const { db, t } = ctx.database;
    await db.insert(t.auditLog).values({
      id: newId("aud"),
      at: ctx.clock.now().getTime(),
      actorUserId: entry.actor?.userId ?? null,
      actorEmail: entry.actor?.email ?? null,
      credential: entry.actor?.credential ?? null,
      action: entry.action,
      target: JSON.stringify(entry.target ?? {}),
      fields: JSON.stringify(entry.fields ?? []),
      status: entry.status,
      errorCode: entry.errorCode ?? null,
      clientAddress: entry.clientAddress,
      requestId: entry.requestId ?? null,
    });
  } catch (err) {
    ctx.log.error({ err, audit: entry }, "audit record not written");
  }
}
