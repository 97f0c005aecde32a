import type Database from "better-sqlite3";
import { SqliteTaskError } from "./describe-failure.js";

/** Pages copied per backup step: the worker returns to its event loop between steps, so terminate() lands. */
const PAGES_PER_STEP = 4096;

export interface SnapshotCopy {
  pages: number;
  pageSize: number;
}

/**
 * Copies the database behind `source` into `dest` with SQLite's online backup API, as ONE consistent
 * snapshot. The read transaction is opened first and held until the copy is complete: the backup steps
 * then all read the same snapshot, so a writer committing in between neither restarts the copy
 * (which, page by page under a steady writer, may never finish) nor mixes two states of the database.
 *
 * - WAL mode: writers carry on during the copy; the copy is the database as of the first read.
 * - Rollback-journal mode: the SHARED lock held for the whole copy makes writers wait (their own busy
 *   timeout) until it is done. That is what a consistent copy of such a database costs.
 * - An exclusive lock held elsewhere longer than the busy timeout fails the first read: SQLITE_BUSY,
 *   which the engine reports as a locked database.
 */
export async function copySnapshot(source: Database.Database, dest: string): Promise<SnapshotCopy> {
  source.exec("BEGIN");
  try {
    // The first read starts the transaction's snapshot (and waits out, or fails on, a lock).
    source.prepare("SELECT count(*) FROM sqlite_master").pluck().get();
    const pages = source.pragma("page_count", { simple: true }) as number;
    const pageSize = source.pragma("page_size", { simple: true }) as number;
    await source.backup(dest, { progress: () => PAGES_PER_STEP });
    return { pages, pageSize };
  } finally {
    if (source.inTransaction) source.exec("COMMIT");
  }
}

/**
 * integrity_check of a finished copy (b-trees, free list, every index against its table) and its page
 * count against the snapshot's. Throws `corrupt` with SQLite's first complaints.
 */
export function assertSound(db: Database.Database, expectedPages?: number): void {
  const rows = db.pragma("integrity_check(20)", { simple: false }) as Array<{ integrity_check: string }>;
  const problems = rows.map((r) => r.integrity_check).filter((s) => s !== "ok");
  if (problems.length > 0) throw new SqliteTaskError({ reason: "corrupt", message: "integrity_check failed", problems });
  if (expectedPages !== undefined) {
    const pages = db.pragma("page_count", { simple: true }) as number;
    if (pages !== expectedPages) {
      throw new SqliteTaskError({ reason: "corrupt", message: `the copy has ${pages} pages, the snapshot had ${expectedPages}`, problems: [] });
    }
  }
}
