// SQLite tables: agents, datasources, destinations, schedules, agent events and health checks. Mirrored column for column by ../pg/fleet.ts (see ../../README.md).
import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
  /** The cap on its artifact uploads to the control plane, MiB/s; null: none. */
  transferCapMiBps: real("transfer_cap_mibps"),
  /** JSON array of blackout windows (shared api/blackout.ts) read in `timezone`; null: none. */
  blackout: text("blackout"),
  /** The IANA zone its blackout windows are read in. */
  timezone: text("timezone").notNull().default("UTC"),
  /**
   * Fences the agent's link across control-plane replicas: bumped by every new session, wherever it
   * opens; a session whose generation is no longer this one was replaced and closes (link/replicas.ts).
   */
  linkGeneration: integer("link_generation").notNull().default(0),
  /** The control-plane process holding the agent's current session (control_planes.id); null: none yet. */
  linkReplica: text("link_replica"),
});

/** The control-plane processes sharing this database, each refreshing seen_at while it runs (link/replicas.ts). */
export const controlPlanes = sqliteTable("control_planes", {
  id: text("id").primaryKey(),
  startedAt: integer("started_at").notNull(),
  seenAt: integer("seen_at").notNull(),
});

/**
 * Commands for an agent whose link another replica holds (link/relay.ts): the asking replica writes
 * one, the holder sends it over the agent's socket and writes the answer back; the asker deletes it.
 */
export const linkCommands = sqliteTable(
  "link_commands",
  {
    id: text("id").primaryKey(),
    agentId: text("agent_id").notNull(),
    /** The replica holding the agent's link when the command was written (control_planes.id). */
    replicaId: text("replica_id").notNull(),
    type: text("type").notNull(),
    /** JSON of the command's payload. */
    payload: text("payload").notNull(),
    idempotencyKey: text("idempotency_key"),
    /** pending (written), sent (taken by the holder), answered. */
    state: text("state").notNull(),
    /** JSON: {"data": …} or {"error": ErrorBody}. */
    answer: text("answer"),
    createdAt: integer("created_at").notNull(),
    /** Past this the asker has given up (AGENT_TIMEOUT): the holder skips it, anyone deletes it. */
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("link_commands_replica_id_state_idx").on(t.replicaId, t.state)],
);

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
    /** JSON {nice?, ioClass?, ioLevel?}: the tools' priority on the agent's host; null: the agent's defaults. */
    priority: text("priority"),
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
  /**
   * Since when the credentials may not delete (S3 AccessDenied on DeleteObject); null once a delete
   * succeeds. Retention then keeps what it would delete, and the console says so on the destination.
   */
  deleteDeniedAt: integer("delete_denied_at"),
  /** The cap on what is written to it, MiB/s; null: none. */
  transferCapMiBps: real("transfer_cap_mibps"),
  /** Deleted destinations stay as rows so past deliveries keep their reference; their secrets are wiped. */
  deletedAt: integer("deleted_at"),
});

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
    /** JSON array of blackout windows (shared api/blackout.ts) read in `timezone`; null: none. */
    blackout: text("blackout"),
    /** A firing inside a window: "defer" (run at its end) or "skip" (recorded missed). */
    blackoutMisfire: text("blackout_misfire").notNull().default("defer"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [index("schedules_datasource_id_idx").on(t.datasourceId)],
);

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
