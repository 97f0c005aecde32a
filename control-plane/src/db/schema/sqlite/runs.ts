// SQLite tables: runs, their deliveries, and the live event feed. Mirrored column for column by ../pg/runs.ts (see ../../README.md).
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { destinations } from "./fleet.js";

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
    /**
     * Set once the agent confirmed cleanupStaging after the spool copy was verified. Null on a
     * completed run with a spool copy: the clean-up is still owed and is sent when the agent is back.
     */
    stagingReleasedAt: integer("staging_released_at"),
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
    /**
     * A legal hold (admin, `POST /runs/:id/hold`): while set, neither retention nor a deletion by hand
     * removes the backup's copies. Who set it (e-mail), when, and why; all null once released.
     */
    heldAt: integer("held_at"),
    heldBy: text("held_by"),
    holdReason: text("hold_reason"),
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
     * The S3 Object Lock retain-until date (epoch ms) the latest of the copy's objects was written
     * with; null: not locked. Retention never tries to delete it before then (retention/deletable.ts).
     */
    lockedUntil: integer("locked_until"),
    /**
     * Why retention's last pass kept a copy its policy would delete: "locked until <ISO date>" or
     * "kept: the credentials cannot delete". Null when no pass had to.
     */
    retentionNote: text("retention_note"),
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
