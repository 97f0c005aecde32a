import type { Fingerprint } from "../types.js";

/**
 * What the SQLite worker thread is asked to do. Every task that touches a database file runs off the
 * agent's event loop: better-sqlite3 is synchronous, a busy timeout blocks the calling thread, and an
 * integrity check or a fingerprint of a multi-GB file takes minutes (measured here: integrity_check
 * about 13 s/GB), while the agent must keep answering its link.
 */
export type SqliteTask =
  /** testConnection: open read-only, version, tables. */
  | { kind: "probe"; path: string; busyTimeoutMs: number }
  /** dump: online backup of `path` into `dest`, then check the copy and (optionally) fingerprint it. */
  | { kind: "snapshot"; path: string; dest: string; busyTimeoutMs: number; fingerprint: boolean }
  /** restore: is this (decompressed, not yet renamed) file a sound SQLite database? */
  | { kind: "verify"; path: string }
  /** drill: the fingerprint of a database, inside one read transaction. */
  | { kind: "fingerprint"; path: string; busyTimeoutMs: number };

export interface ProbeResult {
  sqliteVersion: string;
  tables: number;
  sizeBytes: number;
}

export type WorkerMessage =
  | { type: "probe"; result: ProbeResult }
  /** The copy is complete on disk and the source released: streaming it may start. */
  | { type: "snapshot"; pages: number; pageSize: number }
  /** integrity_check said ok (dump: of the copy; restore: of the candidate file). */
  | { type: "checked" }
  | { type: "fingerprint"; fingerprint: Fingerprint }
  | { type: "failed"; failure: SqliteFailure }
  | { type: "done" };

export type MessageType = Exclude<WorkerMessage["type"], "failed" | "done">;

/**
 * Why a task failed, in words the engine maps to catalog codes: `locked` (busy timeout passed while
 * another connection held a lock), `missing`, `not_a_file`, `not_a_database`, `corrupt` (integrity
 * check or page count), `unreadable` (permissions, a WAL database in a folder we may not write),
 * `disk_full`, `stopped` (the worker was terminated), `other`.
 */
export type FailureReason = "locked" | "missing" | "not_a_file" | "not_a_database" | "corrupt" | "unreadable" | "disk_full" | "stopped" | "other";

export interface SqliteFailure {
  reason: FailureReason;
  message: string;
  /** SQLite's extended result code name (`SQLITE_BUSY`), or the errno code (`EACCES`). */
  sqliteCode?: string;
  /** integrity_check's first complaints. */
  problems?: string[];
}
