// PostgreSQL tables: runs, their deliveries, and the live event feed. Mirrored column for column by ../sqlite/runs.ts (see ../../README.md).
import { sql } from "drizzle-orm";
import { bigint, boolean, index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { destinations } from "./fleet.js";

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
    /**
     * Set once the agent confirmed cleanupStaging after the spool copy was verified. Null on a
     * completed run with a spool copy: the clean-up is still owed and is sent when the agent is back.
     */
    stagingReleasedAt: bigint("staging_released_at", { mode: "number" }),
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
    /**
     * A legal hold (admin, `POST /runs/:id/hold`): while set, neither retention nor a deletion by hand
     * removes the backup's copies. Who set it (e-mail), when, and why; all null once released.
     */
    heldAt: bigint("held_at", { mode: "number" }),
    heldBy: text("held_by"),
    holdReason: text("hold_reason"),
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
     * The S3 Object Lock retain-until date (epoch ms) the latest of the copy's objects was written
     * with; null: not locked. Retention never tries to delete it before then (retention/deletable.ts).
     */
    lockedUntil: bigint("locked_until", { mode: "number" }),
    /**
     * Why retention's last pass kept a copy its policy would delete: "locked until <ISO date>" or
     * "kept: the credentials cannot delete". Null when no pass had to.
     */
    retentionNote: text("retention_note"),
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

/**
 * The live event feed (see schema/sqlite/runs.ts). The identity is drawn after a statement-level trigger
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
