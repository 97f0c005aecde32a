import type { Database } from "better-sqlite3";

/** Append-only: entry i takes the schema from user_version i to i+1. Never edit a shipped one. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE datasources (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    engine TEXT NOT NULL,
    connection TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    datasource_id TEXT NOT NULL REFERENCES datasources(id),
    trigger TEXT NOT NULL,
    schedule_id TEXT,
    requested_by TEXT NOT NULL,
    state TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    size_bytes INTEGER,
    raw_size_bytes INTEGER,
    sha256 TEXT,
    file_name TEXT,
    staging_path TEXT,
    error TEXT
  );
  CREATE INDEX runs_state ON runs(state);
  CREATE TABLE outbox (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    run_id TEXT,
    occurred_at TEXT NOT NULL,
    data TEXT NOT NULL,
    acked INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE idempotency (
    key TEXT PRIMARY KEY,
    command_type TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  // v2: per-datasource run limit and soft delete, queue/artifact TTLs, run logs, indexes
  // for the sweeper. Artifacts staged before v2 get finished_at + 24 h, the old promised TTL.
  `
  ALTER TABLE datasources ADD COLUMN max_duration_minutes INTEGER NOT NULL DEFAULT 360;
  ALTER TABLE datasources ADD COLUMN deleted_at TEXT;
  ALTER TABLE runs ADD COLUMN queue_expires_at TEXT;
  ALTER TABLE runs ADD COLUMN artifact_expires_at TEXT;
  ALTER TABLE runs ADD COLUMN artifact_expired_at TEXT;
  UPDATE runs SET artifact_expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', finished_at, '+1 day')
    WHERE state = 'completed' AND finished_at IS NOT NULL;
  CREATE INDEX runs_datasource ON runs(datasource_id, state);
  CREATE INDEX runs_schedule ON runs(schedule_id, state);
  CREATE TABLE run_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    at TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL
  );
  CREATE INDEX run_logs_run ON run_logs(run_id, id);
  CREATE INDEX idempotency_created ON idempotency(created_at);
  CREATE INDEX outbox_acked ON outbox(acked, occurred_at);
  `,
  // v3: a run's backup options (resolved, JSON) so a queued run dumps as it was asked,
  // and the artifact's metadata (format, codec, level, server version, ...) as JSON.
  `
  ALTER TABLE runs ADD COLUMN options TEXT;
  ALTER TABLE runs ADD COLUMN artifact_meta TEXT;
  `,
  // v4: restore runs share the runs table (and so the one slot and the state
  // machine). restore_stage is where a restore is (download, verify, restore): a failure names it.
  `
  ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'backup';
  ALTER TABLE runs ADD COLUMN source_run_id TEXT;
  ALTER TABLE runs ADD COLUMN restore_stage TEXT;
  `,
  // v5: the datasource's tool priority (niceness, I/O class) as JSON; NULL: the agent's defaults.
  `
  ALTER TABLE datasources ADD COLUMN priority TEXT;
  `,
];

export function migrate(db: Database): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
