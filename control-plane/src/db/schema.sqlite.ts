import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * The SQLite schema. `schema.pg.ts` mirrors it table for table and column for column with the same
 * TypeScript shapes, so the query code written against these tables runs on both (see README.md).
 * Ids are text, times are epoch milliseconds, JSON is text.
 */

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  role: text("role").notNull(),
  createdAt: integer("created_at").notNull(),
  /** Set while the user is disabled: every way of signing in, and every API token of theirs, is refused. */
  disabledAt: integer("disabled_at"),
});

export const apiTokens = sqliteTable("api_tokens", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  /** Written at most once a minute per token (users/api-tokens.ts), not on every request. */
  lastUsedAt: integer("last_used_at"),
  name: text("name").notNull().default("API token"),
  /** The most the token may do (its user's role caps it too); null on tokens made before roles on tokens: they act with their user's role. */
  role: text("role"),
  /** The start of the secret (`hf_api_abcd`), to recognise a token by; null on tokens made before it was kept. */
  tokenPrefix: text("token_prefix"),
  revokedAt: integer("revoked_at"),
});

/**
 * Signed-in browser sessions. The cookie's random value is stored only as its SHA-256; a session ends
 * when idle for HOLDFAST_SESSION_IDLE_MINUTES after `last_seen_at` (updated at most once a minute)
 * or HOLDFAST_SESSION_MAX_HOURS after `created_at`, and goes with its user.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId), index("sessions_last_seen_at_idx").on(t.lastSeenAt), index("sessions_created_at_idx").on(t.createdAt)],
);

/**
 * Failed sign-ins counted per key: `account:<e-mail as typed, lower case>` (whether or not the account
 * exists, so a lock says nothing about it) and `address:<client address>`. Kept in the database so a
 * restart does not reset them; forgotten a day after their last failure.
 */
export const signInFailures = sqliteTable(
  "sign_in_failures",
  {
    key: text("key").primaryKey(),
    failures: integer("failures").notNull(),
    lastFailureAt: integer("last_failure_at").notNull(),
    lockedUntil: integer("locked_until"),
  },
  (t) => [index("sign_in_failures_last_failure_at_idx").on(t.lastFailureAt)],
);

/**
 * Request rate limits (http/rate-limit/): one token bucket per key (`api-token:<id>`, `api-address:<a>`,
 * `sign-in:<a>`, `enroll:<a>`), kept as the time it is full again (GCRA's "theoretical arrival
 * time"), so restarts and replicas share it. A row whose time has passed is a full bucket: pruned.
 */
export const rateLimits = sqliteTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    tat: integer("tat").notNull(),
  },
  (t) => [index("rate_limits_tat_idx").on(t.tat)],
);

/** The first admin's setup token (SHA-256 only), replaced at each start while no user exists; claimed once. */
export const setupTokens = sqliteTable("setup_tokens", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  claimedAt: integer("claimed_at"),
});

export const enrollmentTokens = sqliteTable("enrollment_tokens", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
  usedByAgentId: text("used_by_agent_id"),
  createdAt: integer("created_at").notNull(),
  name: text("name"),
  /** The e-mail of the user who made it through the API; null when made with `holdfast token create`. */
  createdBy: text("created_by"),
  revokedAt: integer("revoked_at"),
});

export const agents = sqliteTable("agents", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  hostname: text("hostname").notNull(),
  keyId: text("key_id").notNull().unique(),
  publicKeyJwk: text("public_key_jwk").notNull(),
  status: text("status").notNull(),
  version: text("version"),
  lastSeenAt: integer("last_seen_at"),
  lastAckedSequence: integer("last_acked_sequence").notNull().default(0),
  createdAt: integer("created_at").notNull(),
  revokedAt: integer("revoked_at"),
  /** The protocol version the agent spoke at its last connection (null: before it was recorded). */
  protocolVersion: integer("protocol_version"),
  /** How its last link was carried: "tls", "loopback" (plain on loopback) or "insecure" (plain, --insecure). */
  linkSecurity: text("link_security"),
  /** Why the status is what it is, where it needs saying (an incompatible agent: the versions on each side). */
  statusReason: text("status_reason"),
});

export const agentJti = sqliteTable(
  "agent_jti",
  {
    agentId: text("agent_id").notNull().references(() => agents.id),
    jti: text("jti").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [uniqueIndex("agent_jti_agent_id_jti_unique").on(t.agentId, t.jti), index("agent_jti_expires_at_idx").on(t.expiresAt)],
);

export const datasources = sqliteTable(
  "datasources",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id").notNull().references(() => agents.id),
    name: text("name").notNull(),
    engine: text("engine").notNull(),
    connectionRedacted: text("connection_redacted").notNull(),
    createdAt: integer("created_at").notNull(),
    /** The agent's limit on a run, as the agent last confirmed it (rows from before it was recorded show the default). */
    maxDurationMinutes: integer("max_duration_minutes").notNull().default(360),
    /** JSON array of short labels, for filtering and grouping. */
    tags: text("tags").notNull().default("[]"),
    note: text("note"),
    /** Minutes between health checks; null: the control plane's default (HOLDFAST_HEALTH_INTERVAL_MS). */
    healthIntervalMinutes: integer("health_interval_minutes"),
    /** Retired: gone from the API and refused for new work, kept so its runs and schedules keep their reference. */
    deletedAt: integer("deleted_at"),
  },
  // One name per agent among live datasources: the name is how an operator tells an agent's
  // databases apart, and a retired datasource's name is free again.
  (t) => [uniqueIndex("datasources_agent_id_name_live_unique").on(t.agentId, t.name).where(sql`${t.deletedAt} IS NULL`)],
);

export const destinations = sqliteTable("destinations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  type: text("type").notNull(),
  config: text("config").notNull(),
  createdAt: integer("created_at").notNull(),
  /** The secret config fields (JSON), sealed under the master key with the id as associated data. */
  secrets: text("secrets"),
  isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
  maxSizeGb: real("max_size_gb"),
  /** Deleted destinations stay as rows so past deliveries keep their reference; their secrets are wiped. */
  deletedAt: integer("deleted_at"),
});

export const runs = sqliteTable(
  "runs",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    trigger: text("trigger").notNull(),
    agentId: text("agent_id").notNull(),
    datasourceId: text("datasource_id").notNull(),
    state: text("state").notNull(),
    requestedBy: text("requested_by"),
    idempotencyKey: text("idempotency_key").notNull(),
    /** SHA-256 of the request the idempotency key was first used with: a replay must match it. */
    requestHash: text("request_hash"),
    queuedAt: integer("queued_at"),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    sizeBytes: integer("size_bytes"),
    rawSizeBytes: integer("raw_size_bytes"),
    sha256: text("sha256"),
    fileName: text("file_name"),
    error: text("error"),
    /** The step the agent last reported (backupStep); null once the run ended. */
    step: text("step"),
    /** Bytes written so far, from the last backupProgress. */
    progressBytes: integer("progress_bytes"),
    cancelReason: text("cancel_reason"),
    scheduleId: text("schedule_id"),
    /** Set by artifactExpired: the agent's staged copy is gone. */
    artifactExpiredAt: integer("artifact_expired_at"),
    /** A restore run: the backup run whose artifact it restores. */
    sourceRunId: text("source_run_id"),
    /** The backup options as requested (JSON), so a retry asks for the same backup. */
    options: text("options"),
    /** A scheduled run: the cron time it fires for (the idempotency key derives from it and the attempt). */
    fireTime: integer("fire_time"),
    /** 1 for the first try; a retry of a retryable failure is a new run with attempt + 1 and retryOf. */
    attempt: integer("attempt").notNull().default(1),
    retryOf: text("retry_of"),
    /** What backupCompleted said beyond size and hash (JSON: format, codec, level, versions, parts...). */
    artifactMeta: text("artifact_meta"),
    /** The restore drill's verdict: null when no drill ran. */
    verified: integer("verified", { mode: "boolean" }),
    /** The drill's details (JSON: method, checked, mismatches, error). */
    verification: text("verification"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("runs_datasource_id_idempotency_key_unique").on(t.datasourceId, t.idempotencyKey),
    index("runs_created_at_idx").on(t.createdAt, t.id),
    index("runs_schedule_id_idx").on(t.scheduleId, t.fireTime),
    // The catalogue at a million runs (docs/decisions.md, "Catalogue at scale"): each filter of
    // `GET /runs` walks its own index newest first, so a page reads ~limit rows however deep the
    // cursor; state's also serves every lookup by state that runs_state_idx served.
    index("runs_state_created_at_idx").on(t.state, t.createdAt, t.id),
    index("runs_datasource_id_created_at_idx").on(t.datasourceId, t.createdAt, t.id),
    index("runs_agent_id_created_at_idx").on(t.agentId, t.createdAt, t.id),
    index("runs_schedule_id_created_at_idx").on(t.scheduleId, t.createdAt, t.id),
    // Its trailing columns are what stats count per day (get-stats.ts): an index-only range.
    index("runs_kind_created_at_idx").on(t.kind, t.createdAt, t.id, t.state, t.sizeBytes, t.startedAt, t.finishedAt),
    index("runs_trigger_created_at_idx").on(t.trigger, t.createdAt, t.id),
    // A datasource's newest completed backup (stats' last good backup): one seek per datasource.
    index("runs_datasource_id_kind_state_finished_at_idx").on(t.datasourceId, t.kind, t.state, t.finishedAt),
    // The firing loop's failed runs that may owe a retry (firing/retries.ts), every tick: the
    // recently finished failures alone, not every failed run the catalogue ever had.
    index("runs_state_finished_at_idx").on(t.state, t.finishedAt),
  ],
);

export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    runId: text("run_id").notNull().references(() => runs.id),
    destinationId: text("destination_id").notNull().references(() => destinations.id),
    state: text("state").notNull(),
    path: text("path"),
    attempts: integer("attempts").notNull().default(0),
    bytes: integer("bytes"),
    error: text("error"),
    /** When a failed attempt may be tried again (exponential backoff); null when not waiting. */
    nextAttemptAt: integer("next_attempt_at"),
    startedAt: integer("started_at"),
    durationMs: integer("duration_ms"),
    /** Set when retention deleted the object (and its sidecar), with why. */
    deletedAt: integer("deleted_at"),
    deletionReason: text("deletion_reason"),
    /**
     * Set when a scrub found the stored object missing or altered (`damage` says which): the copy no
     * longer makes its backup a good one (artifacts/good-backup.ts).
     */
    damagedAt: integer("damaged_at"),
    damage: text("damage"),
    /**
     * When the scrub (scrub/) last checked the copy at any depth, and last re-read it whole through
     * SHA-256; null: not since it was delivered. Oldest first is the order a pass resumes in.
     */
    scrubbedAt: integer("scrubbed_at"),
    hashedAt: integer("hashed_at"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("deliveries_run_id_idx").on(t.runId),
    index("deliveries_state_idx").on(t.state),
    // Stats' storage per destination sums the live copies only: retention's deleted ones (most of
    // an old catalogue) are outside the index, and bytes in it spare the table.
    index("deliveries_live_destination_id_idx").on(t.destinationId, t.state, t.bytes).where(sql`${t.deletedAt} IS NULL`),
  ],
);

export const agentEvents = sqliteTable(
  "agent_events",
  {
    agentId: text("agent_id").notNull(),
    sequence: integer("sequence").notNull(),
    eventId: text("event_id").notNull().unique(),
    runId: text("run_id"),
    type: text("type").notNull(),
    data: text("data").notNull(),
    occurredAt: integer("occurred_at").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [index("agent_events_agent_id_sequence_idx").on(t.agentId, t.sequence), index("agent_events_run_id_sequence_idx").on(t.runId, t.sequence)],
);

/** A backup schedule: lives on the control plane, which fires it and dispatches runs to the agent. */
export const schedules = sqliteTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    datasourceId: text("datasource_id").notNull().references(() => datasources.id),
    name: text("name").notNull(),
    cron: text("cron").notNull(),
    timezone: text("timezone").notNull(),
    /** JSON array of destination ids. */
    destinationIds: text("destination_ids").notNull(),
    /** JSON: backup options, retention policy, retry settings. */
    options: text("options"),
    retention: text("retention"),
    retry: text("retry"),
    verify: integer("verify", { mode: "boolean" }).notNull().default(false),
    paused: integer("paused", { mode: "boolean" }).notNull().default(false),
    /**
     * The firing loop's cursor: the last fire time it handled (recorded pending or missed), or the
     * time the schedule was created, resumed or given a new cron or zone. The next firing is the
     * first one after it; the claim moves it with `UPDATE … WHERE fire_cursor = <old>`.
     */
    fireCursor: integer("fire_cursor").notNull(),
    /** The fire time of the last firing recorded to run (not one recorded missed); null before the first. */
    lastFiredAt: integer("last_fired_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("schedules_datasource_id_idx").on(t.datasourceId)],
);

/**
 * Who did what to which object, when, from where, and how it ended (http/audit-trail.ts,
 * audit/record-audit.ts). Never a secret and never a request body: `fields` names what a request
 * sent, not the values.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    at: integer("at").notNull(),
    /** Null when nobody was authenticated (a failed sign-in). */
    actorUserId: text("actor_user_id"),
    actorEmail: text("actor_email"),
    /** The API token's id, or `session`. */
    credential: text("credential"),
    /** `PATCH /users/:id` for an API call, or a domain event such as `session.signIn`. */
    action: text("action").notNull(),
    /** JSON: the ids of the objects acted on (`{"id": "usr_…"}`). */
    target: text("target").notNull(),
    /** JSON: the names of the fields the request sent (`["role"]`). */
    fields: text("fields").notNull(),
    status: integer("status").notNull(),
    errorCode: text("error_code"),
    clientAddress: text("client_address").notNull(),
    requestId: text("request_id"),
  },
  (t) => [index("audit_log_at_idx").on(t.at, t.id)],
);

/**
 * The live event feed of `GET /api/v1/events` (control-plane/src/events/README.md): run, delivery
 * and agent changes written by triggers in the same statement as the change, run progress by the
 * control plane. The id is the event's SSE id: AUTOINCREMENT, so an id is never handed out twice,
 * even after the newest rows were pruned.
 */
export const liveEvents = sqliteTable(
  "live_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type").notNull(),
    occurredAt: integer("occurred_at").notNull(),
    /** The event without `id` and `at` (JSON), as `RecordedLiveEvent` in shared parses it once they are added. */
    data: text("data").notNull(),
  },
  (t) => [index("live_events_occurred_at_idx").on(t.occurredAt)],
);

/**
 * The single sign-on settings: one row (`id` = `default`) once an admin saved them. The client
 * secret is sealed under the master key (secrets/), bound to this table's row id; role rules are
 * JSON (`SsoRoleRule[]`).
 */
export const ssoSettings = sqliteTable("sso_settings", {
  id: text("id").primaryKey(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(false),
  displayName: text("display_name").notNull(),
  issuerUrl: text("issuer_url").notNull(),
  clientId: text("client_id").notNull(),
  clientSecretSealed: text("client_secret_sealed"),
  roleRules: text("role_rules").notNull(),
  passwordSignIn: text("password_sign_in").notNull().default("everyone"),
  breakGlassEmail: text("break_glass_email"),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Where alerts go (notifications/): `config` holds the channel's settings with each secret masked,
 * `secrets` the secret fields sealed under the master key with the id as associated data; `events`
 * is the JSON list of subscribed kinds.
 */
export const notificationChannels = sqliteTable("notification_channels", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  type: text("type").notNull(),
  config: text("config").notNull(),
  secrets: text("secrets"),
  events: text("events").notNull(),
  minSeverity: text("min_severity").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** One notification to one channel, tried by the notification worker with backoff until sent or failed. */
export const notificationSends = sqliteTable(
  "notification_sends",
  {
    id: text("id").primaryKey(),
    channelId: text("channel_id").notNull(),
    kind: text("kind").notNull(),
    severity: text("severity").notNull(),
    conditionKey: text("condition_key").notNull(),
    /** The message (JSON: title, text, url, subject), rendered per channel type at send time. */
    message: text("message").notNull(),
    state: text("state").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("notification_sends_state_idx").on(t.state, t.nextAttemptAt), index("notification_sends_created_at_idx").on(t.createdAt)],
);

/**
 * The problems (`conditionKey`): a repeated alert of an open one is collapsed until a recovery closes
 * it (`closedAt`); a closed row is kept to show as a recent alert and reopened in place.
 */
export const notificationConditions = sqliteTable("notification_conditions", {
  conditionKey: text("condition_key").primaryKey(),
  kind: text("kind").notNull(),
  openedAt: integer("opened_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
  /** Alerts of this condition collapsed since it opened. */
  repeats: integer("repeats").notNull().default(0),
  severity: text("severity").notNull().default("warning"),
  /** What it is about (JSON NotificationSubject: datasource, agent, destination or run id). */
  subject: text("subject").notNull().default("{}"),
  /** The title of its latest alert. */
  title: text("title").notNull().default(""),
  closedAt: integer("closed_at"),
});

/**
 * Health checks (health/): one row per check of a datasource through its agent, or per probe of a
 * destination (`subject_id` is a `ds_…` or a `dst_…`), newest read first; rows older than
 * HOLDFAST_HEALTH_KEEP_MS are pruned. `result` is ok | timeout | auth_failed | unreachable | error.
 */
export const healthChecks = sqliteTable(
  "health_checks",
  {
    id: text("id").primaryKey(),
    subjectId: text("subject_id").notNull(),
    checkedAt: integer("checked_at").notNull(),
    result: text("result").notNull(),
    latencyMs: real("latency_ms"),
    serverVersion: text("server_version"),
    /** The database's size (datasources) or the free bytes reported (destinations). */
    sizeBytes: integer("size_bytes"),
    freeBytes: integer("free_bytes"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
  },
  (t) => [index("health_checks_subject_idx").on(t.subjectId, t.checkedAt), index("health_checks_checked_at_idx").on(t.checkedAt)],
);
