import fs from "node:fs";
import Database from "better-sqlite3";
import { SqliteTaskError } from "./describe-failure.js";

/** The first 16 bytes of every SQLite 3 database file. */
const SQLITE_MAGIC = Buffer.from("SQLite format 3\0", "latin1");

/**
 * Checks `file` is a regular, non-empty file that starts like a SQLite database, before SQLite sees
 * it: SQLite takes a 0-byte file for an empty database (a backup of nothing would pass), and its own
 * errors for a missing or foreign file are terse.
 */
export function assertDatabaseFile(file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "ENOENT";
    const reason = code === "ENOENT" || code === "ENOTDIR" ? "missing" : "unreadable";
    throw new SqliteTaskError({ reason, message: reason === "missing" ? `${file} does not exist` : `${file} cannot be read (${code})`, sqliteCode: code });
  }
  if (!st.isFile()) throw new SqliteTaskError({ reason: "not_a_file", message: `${file} is not a regular file` });
  if (st.size === 0) throw new SqliteTaskError({ reason: "not_a_database", message: `${file} is empty (0 bytes), not a SQLite database` });
  const head = Buffer.alloc(SQLITE_MAGIC.length);
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, "r");
    fs.readSync(fd, head, 0, head.length, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    throw new SqliteTaskError({ reason: "unreadable", message: `${file} cannot be read (${code})`, sqliteCode: code });
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
  if (!head.equals(SQLITE_MAGIC)) throw new SqliteTaskError({ reason: "not_a_database", message: `${file} is not a SQLite 3 database (no SQLite header)` });
  return st;
}

/**
 * A read-only connection. `timeout` is SQLite's busy timeout: how long a read waits for another
 * connection's exclusive lock before SQLITE_BUSY. Read-only never writes the main file; on a WAL
 * database it may create the `-wal`/`-shm` companions (and, being read-only, leaves them behind).
 */
export function openReadOnly(file: string, busyTimeoutMs: number): Database.Database {
  assertDatabaseFile(file);
  return new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
}
