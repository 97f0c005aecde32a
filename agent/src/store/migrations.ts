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
