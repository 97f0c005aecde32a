import { sql } from "drizzle-orm";
import { bigint, boolean, doublePrecision, index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * The PostgreSQL schema: `schema.sqlite.ts` table for table and column for column, with the same
 * TypeScript shapes (times and sizes are `bigint` in number mode, so epoch milliseconds and byte
 * counts past 2^31 fit and still read as numbers). Change both files together, then `npm run db:generate`.
 */

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  role: text("role").notNull(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  /** Set while the user is disabled: every way of signing in, and every API token of theirs, is refused. */
  disabledAt: bigint("disabled_at", { mode: "number" }),
});

export const apiTokens = pgTable("api_tokens", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  /** Written at most once a minute per token (users/api-tokens.ts), not on every request. */
  lastUsedAt: bigint("last_used_at", { mode: "number" }),
  name: text("name").notNull().default("API token"),
  /** The most the token may do (its user's role caps it too); null on tokens made before roles on tokens: they act with their user's role. */
  role: text("role"),
  /** The start of the secret (`hf_api_abcd`), to recognise a token by; null on tokens made before it was kept. */
  tokenPrefix: text("token_prefix"),
  revokedAt: bigint("revoked_at", { mode: "number" }),
});

/**
 * Signed-in browser sessions. The cookie's random value is stored only as its SHA-256; a session ends
 * when idle for HOLDFAST_SESSION_IDLE_MINUTES after `last_seen_at` (updated at most once a minute)
 * or HOLDFAST_SESSION_MAX_HOURS after `created_at`, and goes with its user.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    lastSeenAt: bigint("last_seen_at", { mode: "number" }).notNull(),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId), index("sessions_last_seen_at_idx").on(t.lastSeenAt), index("sessions_created_at_idx").on(t.createdAt)],
);

/**
 * Failed sign-ins counted per key: `account:<e-mail as typed, lower case>` (whether or not the account
 * exists, so a lock says nothing about it) and `address:<client address>`. Kept in the database so a
 * restart does not reset them; forgotten a day after their last failure.
 */
export const signInFailures = pgTable(
  "sign_in_failures",
  {
    key: text("key").primaryKey(),
    failures: integer("failures").notNull(),
    lastFailureAt: bigint("last_failure_at", { mode: "number" }).notNull(),
    lockedUntil: bigint("locked_until", { mode: "number" }),
  },
  (t) => [index("sign_in_failures_last_failure_at_idx").on(t.lastFailureAt)],
);

/**
 * Request rate limits (http/rate-limit/): one token bucket per key (`api-token:<id>`, `api-address:<a>`,
 * `sign-in:<a>`, `enroll:<a>`), kept as the time it is full again (GCRA's "theoretical arrival
 * time"), so restarts and replicas share it. A row whose time has passed is a full bucket: pruned.
 */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    tat: bigint("tat", { mode: "number" }).notNull(),
  },
  (t) => [index("rate_limits_tat_idx").on(t.tat)],
);

/** The first admin's setup token (SHA-256 only), replaced at each start while no user exists; claimed once. */
export const setupTokens = pgTable("setup_tokens", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  claimedAt: bigint("claimed_at", { mode: "number" }),
});

export const enrollmentTokens = pgTable("enrollment_tokens", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  expiresAt: bigint("expires_at", { mode: "number" }).notNull(),
  usedAt: bigint("used_at", { mode: "number" }),
  usedByAgentId: text("used_by_agent_id"),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  name: text("name"),
  /** The e-mail of the user who made it through the API; null when made with `holdfast token create`. */
  createdBy: text("created_by"),
  revokedAt: bigint("revoked_at", { mode: "number" }),
});

export const agents = pgTable("agents", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  hostname: text("hostname").notNull(),
  keyId: text("key_id").notNull().unique(),
  publicKeyJwk: text("public_key_jwk").notNull(),
  status: text("status").notNull(),
  version: text("version"),
  lastSeenAt: bigint("last_seen_at", { mode: "number" }),
  lastAckedSequence: bigint("last_acked_sequence", { mode: "number" }).notNull().default(0),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  revokedAt: bigint("revoked_at", { mode: "number" }),
  /** The protocol version the agent spoke at its last connection (null: before it was recorded). */
  protocolVersion: integer("protocol_version"),
  /** How its last link was carried: "tls", "loopback" (plain on loopback) or "insecure" (plain, --insecure). */
  linkSecurity: text("link_security"),
  /** Why the status is what it is, where it needs saying (an incompatible agent: the versions on each side). */
  statusReason: text("status_reason"),
});

export const agentJti = pgTable(
  "agent_jti",
  {
    agentId: text("agent_id").notNull().references(() => agents.id),
    jti: text("jti").notNull(),
    expiresAt: bigint("expires_at", { mode: "number" }).notNull(),
  },
  (t) => [uniqueIndex("agent_jti_agent_id_jti_unique").on(t.agentId, t.jti), index("agent_jti_expires_at_idx").on(t.expiresAt)],
);

export const datasources = pgTable(
  "datasources",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id").notNull().references(() => agents.id),
    name: text("name").notNull(),
    engine: text("engine").notNull(),
    connectionRedacted: text("connection_redacted").notNull(),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    /** The agent's limit on a run, as the agent last confirmed it (rows from before it was recorded show the default). */
    maxDurationMinutes: integer("max_duration_minutes").notNull().default(360),
    /** JSON array of short labels, for filtering and grouping. */
    tags: text("tags").notNull().default("[]"),
    note: text("note"),
    /** Minutes between health checks; null: the control plane's default (HOLDFAST_HEALTH_INTERVAL_MS). */
    healthIntervalMinutes: integer("health_interval_minutes"),
    /** Retired: gone from the API and refused for new work, kept so its runs and schedules keep their reference. */
    deletedAt: bigint("deleted_at", { mode: "number" }),
  },
  // One name per agent among live datasources: the name is how an operator tells an agent's
  // databases apart, and a retired datasource's name is free again.
  (t) => [uniqueIndex("datasources_agent_id_name_live_unique").on(t.agentId, t.name).where(sql`${t.deletedAt} IS NULL`)],
);

export const destinations = pgTable("destinations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  type: text("type").notNull(),
  config: text("config").notNull(),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  /** The secret config fields (JSON), sealed under the master key with the id as associated data. */
  secrets: text("secrets"),
  isDefault: boolean("is_default").notNull().default(false),
  maxSizeGb: doublePrecision("max_size_gb"),
  /** Deleted destinations stay as rows so past deliveries keep their reference; their secrets are wiped. */
  deletedAt: bigint("deleted_at", { mode: "number" }),
});

export const runs = pgTable(
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
    queuedAt: bigint("queued_at", { mode: "number" }),
    startedAt: bigint("started_at", { mode: "number" }),
    finishedAt: bigint("finished_at", { mode: "number" }),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    rawSizeBytes: bigint("raw_size_bytes", { mode: "number" }),
    sha256: text("sha256"),
    fileName: text("file_name"),
    error: text("error"),
    /** The step the agent last reported (backupStep); null once the run ended. */
    step: text("step"),
    /** Bytes written so far, from the last backupProgress. */
    progressBytes: bigint("progress_bytes", { mode: "number" }),
    cancelReason: text("cancel_reason"),
    scheduleId: text("schedule_id"),
    /** Set by artifactExpired: the agent's staged copy is gone. */
    artifactExpiredAt: bigint("artifact_expired_at", { mode: "number" }),
    /** A restore run: the backup run whose artifact it restores. */
    sourceRunId: text("source_run_id"),
    /** The backup options as requested (JSON), so a retry asks for the same backup. */
    options: text("options"),
    /** A scheduled run: the cron time it fires for (the idempotency key derives from it and the attempt). */
    fireTime: bigint("fire_time", { mode: "number" }),
    /** 1 for the first try; a retry of a retryable failure is a new run with attempt + 1 and retryOf. */
    attempt: integer("attempt").notNull().default(1),
    retryOf: text("retry_of"),
    /** What backupCompleted said beyond size and hash (JSON: format, codec, level, versions, parts...). */
    artifactMeta: text("artifact_meta"),
    /** The restore drill's verdict: null when no drill ran. */
    verified: boolean("verified"),
    /** The drill's details (JSON: method, checked, mismatches, error). */
    verification: text("verification"),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
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

export const deliveries = pgTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    runId: text("run_id").notNull().references(() => runs.id),
    destinationId: text("destination_id").notNull().references(() => destinations.id),
    state: text("state").notNull(),
    path: text("path"),
    attempts: integer("attempts").notNull().default(0),
    bytes: bigint("bytes", { mode: "number" }),
    error: text("error"),
    /** When a failed attempt may be tried again (exponential backoff); null when not waiting. */
    nextAttemptAt: bigint("next_attempt_at", { mode: "number" }),
    startedAt: bigint("started_at", { mode: "number" }),
    durationMs: bigint("duration_ms", { mode: "number" }),
    /** Set when retention deleted the object (and its sidecar), with why. */
    deletedAt: bigint("deleted_at", { mode: "number" }),
    deletionReason: text("deletion_reason"),
    /**
     * Set when a scrub found the stored object missing or altered (`damage` says which): the copy no
     * longer makes its backup a good one (artifacts/good-backup.ts).
     */
    damagedAt: bigint("damaged_at", { mode: "number" }),
    damage: text("damage"),
    /**
     * When the scrub (scrub/) last checked the copy at any depth, and last re-read it whole through
     * SHA-256; null: not since it was delivered. Oldest first is the order a pass resumes in.
     */
    scrubbedAt: bigint("scrubbed_at", { mode: "number" }),
    hashedAt: bigint("hashed_at", { mode: "number" }),
    updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [
    index("deliveries_run_id_idx").on(t.runId),
    index("deliveries_state_idx").on(t.state),
    // Stats' storage per destination sums the live copies only: retention's deleted ones (most of
    // an old catalogue) are outside the index, and bytes in it spare the table.
    index("deliveries_live_destination_id_idx").on(t.destinationId, t.state, t.bytes).where(sql`${t.deletedAt} IS NULL`),
  ],
);

export const agentEvents = pgTable(
  "agent_events",
  {
    agentId: text("agent_id").notNull(),
    sequence: bigint("sequence", { mode: "number" }).notNull(),
    eventId: text("event_id").notNull().unique(),
    runId: text("run_id"),
    type: text("type").notNull(),
    data: text("data").notNull(),
    occurredAt: bigint("occurred_at", { mode: "number" }).notNull(),
    receivedAt: bigint("received_at", { mode: "number" }).notNull(),
  },
  (t) => [index("agent_events_agent_id_sequence_idx").on(t.agentId, t.sequence), index("agent_events_run_id_sequence_idx").on(t.runId, t.sequence)],
);

/** A backup schedule: lives on the control plane, which fires it and dispatches runs to the agent. */
export const schedules = pgTable(
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
    verify: boolean("verify").notNull().default(false),
    paused: boolean("paused").notNull().default(false),
    /**
     * The firing loop's cursor: the last fire time it handled (recorded pending or missed), or the
     * time the schedule was created, resumed or given a new cron or zone. The next firing is the
     * first one after it; the claim moves it with `UPDATE … WHERE fire_cursor = <old>`.
     */
    fireCursor: bigint("fire_cursor", { mode: "number" }).notNull(),
    /** The fire time of the last firing recorded to run (not one recorded missed); null before the first. */
    lastFiredAt: bigint("last_fired_at", { mode: "number" }),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
    deletedAt: bigint("deleted_at", { mode: "number" }),
  },
  (t) => [index("schedules_datasource_id_idx").on(t.datasourceId)],
);

/**
 * Who did what to which object, when, from where, and how it ended (http/audit-trail.ts,
 * audit/record-audit.ts). Never a secret and never a request body: `fields` names what a request
 * sent, not the values.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    at: bigint("at", { mode: "number" }).notNull(),
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
    status: bigint("status", { mode: "number" }).notNull(),
    errorCode: text("error_code"),
    clientAddress: text("client_address").notNull(),
    requestId: text("request_id"),
  },
  (t) => [index("audit_log_at_idx").on(t.at, t.id)],
);

/**
 * The live event feed (see schema.sqlite.ts). The identity is drawn after a statement-level trigger
 * took an advisory lock held to commit (migration 0006), so ids become visible in the order they were
 * handed out and a reader that saw id N never sees a smaller one appear later.
 */
export const liveEvents = pgTable(
  "live_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    type: text("type").notNull(),
    occurredAt: bigint("occurred_at", { mode: "number" }).notNull(),
    data: text("data").notNull(),
  },
  (t) => [index("live_events_occurred_at_idx").on(t.occurredAt)],
);

/** See schema.sqlite.ts. */
export const ssoSettings = pgTable("sso_settings", {
  id: text("id").primaryKey(),
  enabled: boolean("enabled").notNull().default(false),
  displayName: text("display_name").notNull(),
  issuerUrl: text("issuer_url").notNull(),
  clientId: text("client_id").notNull(),
  clientSecretSealed: text("client_secret_sealed"),
  roleRules: text("role_rules").notNull(),
  passwordSignIn: text("password_sign_in").notNull().default("everyone"),
  breakGlassEmail: text("break_glass_email"),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
});

/**
 * Where alerts go (notifications/): `config` holds the channel's settings with each secret masked,
 * `secrets` the secret fields sealed under the master key with the id as associated data; `events`
 * is the JSON list of subscribed kinds.
 */
export const notificationChannels = pgTable("notification_channels", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  type: text("type").notNull(),
  config: text("config").notNull(),
  secrets: text("secrets"),
  events: text("events").notNull(),
  minSeverity: text("min_severity").notNull(),
  enabled: boolean("enabled").notNull().default(true),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
});

/** One notification to one channel, tried by the notification worker with backoff until sent or failed. */
export const notificationSends = pgTable(
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
    nextAttemptAt: bigint("next_attempt_at", { mode: "number" }),
    error: text("error"),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [index("notification_sends_state_idx").on(t.state, t.nextAttemptAt), index("notification_sends_created_at_idx").on(t.createdAt)],
);

/**
 * The problems (`conditionKey`): a repeated alert of an open one is collapsed until a recovery closes
 * it (`closedAt`); a closed row is kept to show as a recent alert and reopened in place.
 */
export const notificationConditions = pgTable("notification_conditions", {
  conditionKey: text("condition_key").primaryKey(),
  kind: text("kind").notNull(),
  openedAt: bigint("opened_at", { mode: "number" }).notNull(),
  lastSeenAt: bigint("last_seen_at", { mode: "number" }).notNull(),
  /** Alerts of this condition collapsed since it opened. */
  repeats: integer("repeats").notNull().default(0),
  severity: text("severity").notNull().default("warning"),
  /** What it is about (JSON NotificationSubject: datasource, agent, destination or run id). */
  subject: text("subject").notNull().default("{}"),
  /** The title of its latest alert. */
  title: text("title").notNull().default(""),
  closedAt: bigint("closed_at", { mode: "number" }),
});

/**
 * Health checks (health/): one row per check of a datasource through its agent, or per probe of a
 * destination (`subject_id` is a `ds_…` or a `dst_…`), newest read first; rows older than
 * HOLDFAST_HEALTH_KEEP_MS are pruned. `result` is ok | timeout | auth_failed | unreachable | error.
 */
export const healthChecks = pgTable(
  "health_checks",
  {
    id: text("id").primaryKey(),
    subjectId: text("subject_id").notNull(),
    checkedAt: bigint("checked_at", { mode: "number" }).notNull(),
    result: text("result").notNull(),
    latencyMs: doublePrecision("latency_ms"),
    serverVersion: text("server_version"),
    /** The database's size (datasources) or the free bytes reported (destinations). */
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    freeBytes: bigint("free_bytes", { mode: "number" }),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
  },
  (t) => [index("health_checks_subject_idx").on(t.subjectId, t.checkedAt), index("health_checks_checked_at_idx").on(t.checkedAt)],
);
