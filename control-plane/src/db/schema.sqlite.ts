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
});

export const apiTokens = sqliteTable("api_tokens", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => users.id),
  tokenHash: text("token_hash").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  lastUsedAt: integer("last_used_at"),
});

export const enrollmentTokens = sqliteTable("enrollment_tokens", {
  id: text("id").primaryKey(),
  tokenHash: text("token_hash").notNull().unique(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
  usedByAgentId: text("used_by_agent_id"),
  createdAt: integer("created_at").notNull(),
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

export const datasources = sqliteTable("datasources", {
  id: text("id").primaryKey(),
  agentId: text("agent_id").notNull().references(() => agents.id),
  name: text("name").notNull(),
  engine: text("engine").notNull(),
  connectionRedacted: text("connection_redacted").notNull(),
  createdAt: integer("created_at").notNull(),
});

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
    createdAt: integer("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("runs_datasource_id_idempotency_key_unique").on(t.datasourceId, t.idempotencyKey),
    index("runs_state_idx").on(t.state),
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
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("deliveries_run_id_idx").on(t.runId), index("deliveries_state_idx").on(t.state)],
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
