import type { Readable } from "node:stream";

/** What a destination knows of one stored object. */
export interface ObjectInfo {
  bytes: number;
  modifiedAt: Date;
}

/** One object of a listing; `name` is relative to the destination, as `put` was given it. */
export interface ObjectEntry extends ObjectInfo {
  name: string;
}

/** What `test()` measured while it wrote, read back and deleted a probe object. */
export interface ProbeResult {
  ok: true;
  bytes: number;
  writeMs: number;
  readMs: number;
  deleteMs: number;
  /** Free bytes where the destination can tell (local folder, SFTP with statvfs), else null. */
  freeSpaceBytes: number | null;
  /**
   * False when the credentials may write and read but not delete (DESTINATION_DELETE_DENIED): the
   * destination still works, retention keeps what it would delete, and the probe object stays.
   */
  canDelete: boolean;
  /** The probe object left behind when it could not be deleted. */
  leftBehind?: string;
}

/** Where `put` wrote, and for an S3 Object Lock destination until when the object cannot be deleted. */
export interface PutResult {
  path: string;
  bytes: number;
  lockedUntil?: Date;
}

/**
 * Where artifacts end up. Names are `/`-separated paths inside the destination (`ds_1/2026/05/x.gz`);
 * a name with an empty, `.` or `..` segment is refused. Each implementation writes atomically: a
 * reader never sees half an object under its final name. Every failure is a HoldfastError.
 */
export interface Destination {
  /**
   * Writes the stream under `relativeName`, resolving with where it landed and how many bytes were
   * written. `opts.bytes`, the size when the caller knows it, lets S3 pick a part size that fits.
   */
  put(stream: Readable, relativeName: string, opts?: { bytes?: number }): Promise<PutResult>;
  /**
   * Optional, where the destination is a folder on this machine: makes the file at `sourcePath` (the
   * verified spool copy, `opts.bytes` long) the object `relativeName` without copying its bytes (a
   * hard link), atomically like `put`. Null when it cannot here (another file system, no links):
   * then the caller copies with `put`. The file at `sourcePath` keeps its name.
   */
  link?(sourcePath: string, relativeName: string, opts: { bytes: number }): Promise<{ path: string; bytes: number } | null>;
  /** The object's size and time, or null when there is none. */
  stat(relativeName: string): Promise<ObjectInfo | null>;
  /** Every object whose name starts with `prefix` (`""`: all), at any depth, sorted by name. */
  list(prefix: string): Promise<ObjectEntry[]>;
  /**
   * Removes the object; removing one that is not there is no error. Credentials that may not delete
   * fail with DESTINATION_DELETE_DENIED; an object under S3 Object Lock with DESTINATION_OBJECT_LOCKED.
   */
  delete(relativeName: string): Promise<void>;
  /**
   * The object's bytes (ARTIFACT_NOT_FOUND when there is none), for a restore or a download from the
   * destination; from byte `opts.start` on when given, without reading what comes before it.
   */
  get(relativeName: string, opts?: { start?: number }): Promise<Readable>;
  /**
   * Writes, reads back and deletes a probe object (under `opts.probeName` when given, else a random
   * name; the health probe reuses one name where deletes are refused, so probes do not pile up).
   */
  test(opts?: { probeName?: string }): Promise<ProbeResult>;
  /** Free bytes where knowable, else null. */
  freeSpace(): Promise<number | null>;
}
