/**
 * Every PostgreSQL advisory lock key Holdfast takes, in one place so two never collide (any fixed
 * numbers; one namespace per database). A lock held by one process keeps the others out of the
 * same work.
 */
export const LOCK_IDS = {
  /** Replicas starting together take turns at migrating (db/index.ts). */
  migration: 727_001,
  /** Held to commit by the live-events trigger (drizzle/pg/0008_live_events.sql: written there as a literal). */
  liveEvents: 727_002,
  /** Its holder fires schedules and records retries (firing/loop.ts). */
  scheduler: 727_003,
} as const;
