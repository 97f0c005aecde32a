import { z } from "zod";

/**
 * The error catalog: every failure Holdfast reports, over REST or over the agent link, carries one of
 * these codes. Each entry fixes the status code, whether trying again can help, and what a client
 * should do. `docs/protocol.md` is rendered from this table; change it here only.
 */
export const ERROR_CATALOG = {
  // 400: the request itself is wrong
  VALIDATION_FAILED: { status: 400, retryable: false, action: "Fix the request: `details.issues` lists each field that failed." },
  MALFORMED_FRAME: { status: 400, retryable: false, action: "Send a JSON text frame that matches a protocol v1 envelope." },
  UNKNOWN_MESSAGE_TYPE: { status: 400, retryable: false, action: "Send only message types of protocol v1; check the peer's version." },
  // 401/403: who you are and what you may do
  UNAUTHENTICATED: { status: 401, retryable: false, action: "Send a valid bearer token or sign in again (POST /api/v1/session)." },
  INVALID_CREDENTIALS: { status: 401, retryable: false, action: "Check the e-mail and the password. Repeated failures lock sign-in for a growing while (429 SIGN_IN_LOCKED)." },
  SESSION_EXPIRED: { status: 401, retryable: false, action: "The session ended (idle too long, older than its maximum age, or signed out): sign in again with POST /api/v1/session." },
  SETUP_TOKEN_INVALID: { status: 401, retryable: false, action: "Use the setup URL the latest `holdfast serve` printed on its stderr: each start replaces the token, and a token works once." },
  ENROLLMENT_TOKEN_INVALID: { status: 401, retryable: false, action: "Create a new enrollment token: this one is unknown, used, revoked or expired." },
  AGENT_CREDENTIALS_INVALID: { status: 401, retryable: false, action: "The agent's signed token was refused; check its clock and key, or enroll it again." },
  FORBIDDEN: { status: 403, retryable: false, action: "Ask an admin for a role that may do this." },
  CSRF_CHECK_FAILED: { status: 403, retryable: false, action: "A request that changes something and is signed in by the session cookie needs the header X-CSRF-Token: the csrfToken that POST or GET /api/v1/session answered, sent from a page of this origin. API tokens need none." },
  AGENT_REVOKED: { status: 403, retryable: false, action: "This agent was revoked; enroll the host again with a new token." },
  USER_DISABLED: { status: 403, retryable: false, action: "This account is disabled, and so are its API tokens: ask an admin to enable it (PATCH /api/v1/users/:id {\"disabled\": false})." },
  // 404
  NOT_FOUND: { status: 404, retryable: false, action: "Check the path." },
  AGENT_NOT_FOUND: { status: 404, retryable: false, action: "Check the agent id (GET /api/v1/agents lists them)." },
  DATASOURCE_NOT_FOUND: { status: 404, retryable: false, action: "Check the datasource id." },
  DESTINATION_NOT_FOUND: { status: 404, retryable: false, action: "Check the destination ids." },
  SCHEDULE_NOT_FOUND: { status: 404, retryable: false, action: "Check the schedule id (GET /api/v1/schedules lists them)." },
  RUN_NOT_FOUND: { status: 404, retryable: false, action: "Check the run id." },
  USER_NOT_FOUND: { status: 404, retryable: false, action: "Check the user's id or e-mail address (GET /api/v1/users lists them), or create the user first." },
  API_TOKEN_NOT_FOUND: { status: 404, retryable: false, action: "Check the token's id (GET /api/v1/api-tokens lists yours); a revoked token is gone for good." },
  ENROLLMENT_TOKEN_NOT_FOUND: { status: 404, retryable: false, action: "Check the id (GET /api/v1/enrollment-tokens lists the pending ones); a revoked token is gone for good." },
  ARTIFACT_NOT_FOUND: { status: 404, retryable: false, action: "The run has no artifact to read: it failed, is a restore, has not finished, or its copies were cleaned up or deleted (GET /api/v1/runs/:runId/deliveries shows each copy)." },
  QUEUED_BACKUP_NOT_FOUND: { status: 404, retryable: false, action: "The run is no longer queued; read its status." },
  // 409: the state does not allow it now
  BACKUP_ALREADY_RUNNING: { status: 409, retryable: true, action: "Wait for the running backup (details.runId) to finish, then try again." },
  BACKUP_NOT_RUNNING: { status: 409, retryable: false, action: "Nothing to cancel: read the run's status." },
  INVALID_STATE_TRANSITION: { status: 409, retryable: false, action: "The run is already in another state; read it before acting." },
  SETUP_ALREADY_DONE: { status: 409, retryable: false, action: "The first admin exists: sign in (POST /api/v1/session); an admin creates further users." },
  ALREADY_EXISTS: { status: 409, retryable: false, action: "Use another name, or change the existing item." },
  LAST_ADMIN: { status: 409, retryable: false, action: "At least one enabled admin must remain: make another user an admin (or enable one) first, then try again." },
  ENROLLMENT_TOKEN_USED: { status: 409, retryable: false, action: "The token already enrolled an agent (details.agentId): to cut that host off, revoke the agent (POST /api/v1/agents/:id/revoke)." },
  UPLOAD_OFFSET_MISMATCH: { status: 409, retryable: true, action: "Resume the upload from details.expectedOffset." },
  NEWEST_GOOD_BACKUP: { status: 409, retryable: false, action: "This is the newest good (or newest verified) backup of its datasource, which retention never deletes: add ?force=true to delete it anyway." },
  DESTINATION_OBJECT_LOCKED: { status: 409, retryable: false, action: "The object is under S3 Object Lock until details.lockedUntil: nothing (not even the bucket's owner, in COMPLIANCE mode) can delete it before then. Retention deletes it on its first pass after that date." },
  ARTIFACT_IN_USE: { status: 409, retryable: true, action: "A delivery or a restore is reading this backup (details); delete it once they ended." },
  RUN_NOT_RESTORABLE: { status: 409, retryable: false, action: "Restore from a completed backup run whose artifact the control plane still holds (spool or a completed delivery)." },
  RUN_NOT_HOLDABLE: { status: 409, retryable: false, action: "Only a completed backup with a copy left can be held (details.field names what refused it: the run's kind, state, or copies): hold another run (GET /api/v1/runs?kind=backup&state=completed)." },
  RUN_NOT_HELD: { status: 409, retryable: false, action: "The run has no hold to release: read it (GET /api/v1/runs/:runId, its `hold`) before acting." },
  BACKUP_HELD: { status: 409, retryable: false, action: "The backup is under a legal hold (details.hold): nothing deletes it while the hold lasts. An admin releases it (DELETE /api/v1/runs/:runId/hold) once it may go." },
  BLACKOUT_WINDOW: { status: 409, retryable: true, action: "Now is inside a blackout window of the agent or the schedule (details.window, in details.window.timezone): wait until details.endsAt, or send force: true to run it anyway (the audit records it)." },
  RESTORE_TARGET_NOT_EMPTY: { status: 409, retryable: false, action: "The target database holds objects; restore into an empty one or pass options.overwrite: true." },
  // 410
  ARTIFACT_EXPIRED: { status: 410, retryable: false, action: "The staged artifact passed its TTL; run the backup again." },
  // 413
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, action: "Send a smaller message." },
  // 416
  RANGE_NOT_SATISFIABLE: { status: 416, retryable: false, action: "Ask for a Range inside the artifact: it starts below the size (Content-Range: bytes */size gives it), and a suffix (bytes=-N) is not zero." },
  // 422: well-formed but refused by the domain
  API_TOKEN_ROLE_TOO_HIGH: { status: 422, retryable: false, action: "An API token acts with at most its user's role: choose a role up to details.userRole, or give the user that role first." },
  IDEMPOTENCY_KEY_REUSED: { status: 422, retryable: false, action: "Use a new idempotency key for a different request." },
  DB_CONNECTION_TEST_FAILED: { status: 422, retryable: true, action: "The connection failed for a reason other than credentials, a missing database or an unreachable server (TLS, a passwordFile the agent cannot use, a SQLite file that is locked or not a database...): read the message and details.stderr." },
  DATABASE_AUTH_FAILED: { status: 422, retryable: false, action: "The database server refused the credentials: check the username and password (or passwordFile) of the datasource, and that the user may connect to that database from the agent's host (for a SQLite file or a folder: that the agent's user may read it)." },
  NO_DATABASE_MATCHED: { status: 422, retryable: false, action: "A whole-server datasource (database \"*\") or a restore of a whole-server backup found no database to take: options.databases (include/exclude) matches none of the databases on the server, or in the backup (details.field, details.available). Widen the patterns; GET /datasources/:id/databases lists what the server has." },
  DATABASE_NOT_FOUND: { status: 422, retryable: false, action: "The database (or file/folder) named in the datasource does not exist on the server: check its name; GET /datasources/:id/databases lists what exists." },
  UNSUPPORTED_DATABASE_TYPE: { status: 422, retryable: false, action: "Use an engine this agent supports (see its capabilities)." },
  CHECKSUM_MISMATCH: { status: 422, retryable: true, action: "The bytes received do not match the artifact's SHA-256; the transfer is retried." },
  DESTINATION_AUTH_FAILED: { status: 422, retryable: false, action: "The destination refused the credentials: check the access key and secret, or the SFTP user and its password or key." },
  DESTINATION_HOST_KEY_MISMATCH: { status: 422, retryable: false, action: "The SFTP server's host key is not the one in hostKeySha256. Check the server's fingerprint (ssh-keygen -lf on the server) before updating it: it may be another machine." },
  DESTINATION_ENDPOINT_FORBIDDEN: { status: 422, retryable: false, action: "The S3 endpoint resolves to a link-local or cloud metadata address; use another endpoint, or set config.allowPrivateEndpoint: true if you mean it." },
  DESTINATION_REFUSED: { status: 422, retryable: false, action: "The destination answered but refused (details.reason): check that the bucket or folder exists and that the account may write there." },
  DESTINATION_OBJECT_LOCK_DISABLED: { status: 422, retryable: false, action: "config.objectLock asks for S3 Object Lock, but the bucket does not have Object Lock enabled (GetObjectLockConfiguration): use a bucket created with Object Lock (or enable it on the bucket), or remove config.objectLock." },
  DESTINATION_DELETE_DENIED: { status: 422, retryable: false, action: "The destination's credentials may write and read but not delete (S3 AccessDenied on DeleteObject). Holdfast keeps working: retention keeps what it would delete and records it on the delivery. Give the credentials s3:DeleteObject (and s3:DeleteObjectVersion, s3:ListBucketVersions on an Object Lock bucket) if retention should delete." },
  DESTINATION_QUOTA_EXCEEDED: { status: 422, retryable: false, action: "Writing the artifact would take the destination past its maxSizeGb (usage: the bytes of the live deliveries recorded for it, details.usedBytes): raise the quota, or let retention free space, then back up again." },
  PATH_NOT_ALLOWED: { status: 422, retryable: false, action: "The agent runs as a hardened systemd service that may not read (or, for a restore, write) this path: run `holdfast-agent allow-path PATH [--write]` as root on the agent's host, or add the drop-in in details.dropIn and run systemctl daemon-reload && systemctl restart holdfast-agent." },
  DECRYPTION_FAILED: { status: 422, retryable: false, action: "The artifact is encrypted: pass options.identity, the AGE-SECRET-KEY-1... matching the backup's recipient. The target was not touched." },
  // 429
  QUEUE_OVERFLOW: { status: 429, retryable: true, action: "The agent's queue is full; wait for queued runs to finish." },
  RATE_LIMITED: { status: 429, retryable: true, action: "Slow down and retry later." },
  SIGN_IN_LOCKED: { status: 429, retryable: true, action: "Too many failed sign-ins for this account or from this address: wait details.retryAfterSeconds (also the Retry-After header), then try again." },
  // 500: it went wrong while doing it
  INTERNAL_ERROR: { status: 500, retryable: true, action: "Retry; if it persists, read the server log for details.requestId." },
  DUMP_FAILED: { status: 500, retryable: true, action: "Read details.stderr of the run: the dump tool failed." },
  DUMP_RECOVERY_CONFLICT: { status: 500, retryable: true, action: "The standby cancelled the dump to replay the primary's changes: on the standby raise max_standby_streaming_delay (-1 waits for the dump) or set hot_standby_feedback = on, or dump from the primary." },
  STAGING_FAILED: { status: 500, retryable: true, action: "Check free space and permissions of the agent's temp dir." },
  DELIVERY_FAILED: { status: 500, retryable: true, action: "Check the destination; the delivery is retried." },
  RESTORE_FAILED: { status: 500, retryable: true, action: "Read details.stage and details.stderr of the run: the restore tool failed there; the target may be partly restored." },
  RUN_TIMEOUT: { status: 500, retryable: true, action: "The run exceeded its maximum duration and was stopped." },
  AGENT_RESTARTED: { status: 500, retryable: true, action: "The agent restarted during the run; run it again." },
  // 501/503/504: not possible here or not now
  FEATURE_NOT_AVAILABLE: { status: 501, retryable: false, action: "This agent or server version does not offer it." },
  PRECONDITION_FAILED: { status: 503, retryable: true, action: "Fix the blocking issues listed in details, then retry." },
  TOOL_NOT_FOUND: { status: 503, retryable: false, action: "Install the dump tool named in details.tool on the agent's host." },
  DATABASE_UNREACHABLE: { status: 503, retryable: true, action: "The database server could not be reached (refused, unreachable or timed out): check host, port, firewall and that the server runs; it is retried." },
  DESTINATION_UNREACHABLE: { status: 503, retryable: true, action: "The destination could not be reached (details.reason): check its host, port and network; deliveries retry." },
  FIRING_MISSED: { status: 503, retryable: false, action: "A schedule's firing never reached the agent within the grace window (details.reason); check the agent and the control plane were up. HOLDFAST_MISFIRE_GRACE_MS sets the window." },
  AGENT_OFFLINE: { status: 503, retryable: true, action: "Start the agent or check its network; retry once it is online." },
  AGENT_STOPPING: { status: 503, retryable: true, action: "The agent is shutting down; the run can be retried once it is back." },
  NOT_READY: { status: 503, retryable: true, action: "The control plane is stopping or cannot reach its own database (details.reason): retry in a moment, or on another replica; if it lasts, check the database." },
  TLS_PIN_MISMATCH: { status: 502, retryable: false, action: "The server's TLS chain matches none of the agent's pins (details.expected, details.seen): it may be another machine. Check the control plane's pin (holdfast ca-pin on it) before enrolling again with --ca-pin; nothing was sent to that server." },
  INSECURE_TRANSPORT: { status: 400, retryable: false, action: "Plain http:// or ws:// reaches only a control plane on this host (loopback): use https://, or enroll with --insecure if you accept that tokens cross the network in clear." },
  AGENT_TIMEOUT: { status: 504, retryable: true, action: "The agent did not answer in time; retry." },
  // Single sign-on (OpenID Connect)
  SSO_DISABLED: { status: 409, retryable: false, action: "Single sign-on is off: sign in with your e-mail and password, or ask an admin to turn it on (PUT /api/v1/sso/settings)." },
  SSO_SIGN_IN_FAILED: { status: 401, retryable: false, action: "The sign-in through the identity provider did not complete (it was refused there, took longer than 10 minutes, or came back to another browser tab): start it again with \"Sign in with\" on the sign-in page." },
  SSO_NO_ROLE_MATCH: { status: 403, retryable: false, action: "Your identity provider account matched none of the claim-to-role rules: ask an admin to add you to a group a rule names, or to add a rule (Single sign-on settings)." },
  SSO_PROVIDER_UNREACHABLE: { status: 503, retryable: true, action: "The identity provider's discovery document could not be fetched (details.reason): check the issuer URL, that the provider is up and that its TLS certificate is trusted by the control plane (NODE_EXTRA_CA_CERTS for a private CA)." },
  PASSWORD_SIGN_IN_DISABLED: { status: 403, retryable: false, action: "Password sign-in is turned off on this control plane: use \"Sign in with\" the identity provider on the sign-in page. Only the break-glass admin may still sign in with a password." },
  // Notifications
  NOTIFICATION_CHANNEL_NOT_FOUND: { status: 404, retryable: false, action: "Check the channel id (GET /api/v1/notification-channels lists them)." },
  NOTIFICATION_ENDPOINT_FORBIDDEN: { status: 422, retryable: false, action: "The channel's URL or SMTP host is, or resolves to, a link-local or cloud metadata address (or, with HOLDFAST_NOTIFY_STRICT_ADDRESSES on, a loopback or private one): use a public address." },
  NOTIFICATION_SEND_FAILED: { status: 502, retryable: true, action: "The channel's service refused or did not answer (details.reason, details.status): check its URL, token or credentials; sends are retried with backoff." },
} as const satisfies Record<string, { status: number; retryable: boolean; action: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;
export const ERROR_CODES = Object.keys(ERROR_CATALOG) as [ErrorCode, ...ErrorCode[]];
export const ErrorCode = z.enum(ERROR_CODES);

/** The error body shared by REST responses, link responses and a run's `error`. */
export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  retryable: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

export function statusOf(code: ErrorCode): number {
  return ERROR_CATALOG[code].status;
}

/**
 * A failure with a catalog code. Domain functions throw it; the edges (hono's onError, the link
 * dispatcher, the CLI) turn it into a response. `retryable` comes from the catalog unless a caller
 * knows better (a dump that failed on a wrong password is not worth retrying).
 *
 * @example throw new HoldfastError("BACKUP_ALREADY_RUNNING", "A backup is running", { runId })
 */
export class HoldfastError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, retryable?: boolean) {
    super(message);
    this.name = "HoldfastError";
    this.code = code;
    this.details = details;
    this.retryable = retryable ?? ERROR_CATALOG[code].retryable;
  }

  get status(): number {
    return statusOf(this.code);
  }

  toBody(): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details ? { details: this.details } : {}),
    };
  }

  static from(body: ErrorBody): HoldfastError {
    return new HoldfastError(body.code, body.message, body.details, body.retryable);
  }
}

/** Any thrown value as a catalog error body; unknown errors never leak their message or stack. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof HoldfastError) return err.toBody();
  return { code: "INTERNAL_ERROR", message: "Internal error", retryable: true };
}

/** One mistake in a request, as `details.issues` of VALIDATION_FAILED lists it. */
export interface FieldIssue {
  /** Dotted path of the field (`options.compression.level`); empty for the request as a whole. */
  path: string;
  message: string;
}

/** VALIDATION_FAILED listing the issues; the message names the first, so one line says what to fix. */
export function invalidRequest(issues: FieldIssue[], what = "request"): HoldfastError {
  const first = issues[0];
  const summary = !first ? "invalid" : first.path ? `${first.path}: ${first.message}` : first.message;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more in details.issues)` : "";
  return new HoldfastError("VALIDATION_FAILED", `Invalid ${what}: ${summary}${more}`, { issues });
}

/**
 * zod's issues, one per mistake. A value of the wrong type is one mistake: zod 4 still runs some
 * checks of the expected type on it (an array's `.max(20)` on a string reports "expected string to
 * have <=20 characters"), and those describe a value the caller never meant, so at a path with a
 * type issue only that issue is kept. The same message twice at one path is shown once.
 */
export function fieldIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  const pathOf = (i: z.core.$ZodIssue) => i.path.map(String).join(".");
  const wrongType = new Set(issues.filter((i) => i.code === "invalid_type").map(pathOf));
  const kept = new Map<string, FieldIssue>();
  for (const issue of issues) {
    const path = pathOf(issue);
    if (wrongType.has(path) && issue.code !== "invalid_type") continue;
    kept.set(`${path}\u0000${issue.message}`, { path, message: issue.message });
  }
  return [...kept.values()];
}

/** A zod failure as VALIDATION_FAILED, one issue per mistake with its path. */
export function validationError(error: z.core.$ZodError, what = "request"): HoldfastError {
  return invalidRequest(fieldIssues(error.issues), what);
}

/** Parses with a schema or throws VALIDATION_FAILED: the one way every boundary validates. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, what?: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, what);
  return result.data;
}
