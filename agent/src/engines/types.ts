import type { Readable, Writable } from "node:stream";
import type { Codec, ConnectionOf, DatasourceConnection, DumpFormat, Engine as EngineName, ResolvedBackupOptions } from "@holdfast/shared/protocol";

export interface ConnectionTestResult {
  latencyMs: number;
  serverVersion: string;
  databaseSizeBytes: number | null;
  /** `server_version_num` (e.g. 160004), when the server reported it. */
  serverVersionNum?: number | null;
  /** User tables (and partitioned parents) in the database, for the run's metadata. */
  tablesCount?: number | null;
}

/** One finding of a preflight: a stable code and a sentence for the operator. */
export interface PreflightIssue {
  code: string;
  message: string;
}

export interface DatabaseInfo {
  name: string;
  sizeBytes: number | null;
}

/**
 * A running dump. `stdout` is the plain dump; `done` settles after the tool exited (and its
 * temporary credentials are gone): it rejects with DUMP_FAILED (details.stderr, redacted) on a
 * non-zero exit, so a failed dump can never pass for a complete one.
 */
export interface DumpHandle {
  stdout: Readable;
  /** The tools write straight into the `stdoutTo` the dump was given: `stdout` carries nothing. */
  direct?: boolean;
  done: Promise<void>;
  /** Stops the tool (and anything it started), e.g. on cancel or when the pipeline behind it failed; false if it was no longer running. */
  abort(): boolean;
  /** After `done` resolved: what the tool wrote on stderr, redacted, one entry a line (warnings of a successful dump). */
  warnings?(): string[];
  /**
   * After `done` resolved: the source's fingerprint as of the dump (the same snapshot where the engine
   * can: PostgreSQL's exported snapshot, the SQLite backup copy, the files as they were read), for the
   * restore drill. Absent when the engine cannot take one.
   */
  sourceFingerprint?(): Promise<Fingerprint>;
  /** A whole-server dump (format `server`), once `done` resolved: the databases it holds, in the tar's order. */
  databases?(): string[];
}

/**
 * What the restore drill compares: one entry per table (or file), keyed by its qualified name, with
 * its row count where the engine has one and a checksum of its contents. Two fingerprints are equal
 * when they have the same keys with the same values.
 */
export interface Fingerprint {
  /** How the checksums were computed (`md5 of rows in primary-key order`, `sha256 of file bytes`...), shown with the verdict. */
  method: string;
  items: Record<string, { rows?: number; checksum: string }>;
}

/** A throw-away target beside the source for the restore drill; `drop` removes it and everything in it. */
export interface ScratchTarget<C> {
  connection: C;
  drop(): Promise<void>;
}

/** A codec's stdin (a child process's pipe), or the descriptor of the staged file itself (codec none). */
export type DumpSink = Writable | number;

/** What the run already knows about the server, so the engine picks the matching client tools. */
export interface DumpHints {
  serverMajor?: number | null;
  /**
   * Where the tools may write their stdout themselves: an engine whose dump is only tools' stdout
   * hands it to them and answers `direct: true`; any other ignores it.
   */
  stdoutTo?: DumpSink;
}

export interface RestoreOptions {
  format: DumpFormat;
  codec: Codec;
  /** Restore into a database that already holds objects (otherwise 409 RESTORE_TARGET_NOT_EMPTY). */
  overwrite?: boolean;
  /** Apply the cluster globals (roles, tablespaces) a plain PostgreSQL dump carries; skipped otherwise. */
  globals?: boolean;
  /** Skip ownership (`--no-owner`): the restoring user owns everything, no role needs to exist. */
  noOwner?: boolean;
  /** The target server's major, for the choice of client tools. */
  serverMajor?: number | null;
  /** A whole-server backup: which of its databases (include/exclude patterns); all when absent. */
  databases?: { include?: string[] | undefined; exclude?: string[] | undefined };
  /** A whole-server backup: a source database's name to its target's; the others keep their names. */
  rename?: Record<string, string>;
}

export interface RestoreResult {
  durationMs: number;
  /** The restore tool's stderr (redacted), one entry a line: notices and warnings of a restore that succeeded. */
  warnings: string[];
}

/** One kind of source (PostgreSQL, MySQL, SQLite, a folder...): how to reach it, dump it and restore into it. */
export interface Engine<C = DatasourceConnection> {
  readonly engine: EngineName;
  /** The dump tool's name, as preflight reports it (`pg_dump`). */
  readonly toolName: string;
  /**
   * True when the artifact is the dump tool's own output, whose first bytes pipeline/dump-head.ts
   * knows: the run checks them before it completes. Absent for engines that assemble the artifact.
   */
  readonly dumpHeadChecked?: boolean;
  /**
   * For dump tools that cannot dump a newer server than themselves (pg_dump): how preflight compares
   * the two. Absent when any installed version of the tool will do.
   */
  readonly versionRule?: {
    /** The server's product name, for the message (`PostgreSQL`). */
    server: string;
    serverMajor(server: ConnectionTestResult): number | null;
    toolMajor(versionLine: string): number | null;
  };
  /** Prerequisites only this engine knows (SQLite: room for its copy of the database); preflight adds them to its own. */
  preflight?(connection: C, options?: ResolvedBackupOptions): Promise<{ blockingIssues: PreflightIssue[]; warnings: PreflightIssue[] }>;
  /** The version line of the dump tool that would dump a server of this major, or null when it is not installed. */
  toolVersion(serverMajor?: number | null): Promise<string | null>;
  testConnection(connection: C): Promise<ConnectionTestResult>;
  /** Starts a dump; absent options dump plain SQL (the walking skeleton's artifact). */
  dump(connection: C, options?: ResolvedBackupOptions, hints?: DumpHints): Promise<DumpHandle>;
  /**
   * Restores an artifact (as stored: compressed by `opts.codec`) into `target`. Rejects
   * RESTORE_TARGET_NOT_EMPTY before touching a non-empty target unless `overwrite`, and
   * RESTORE_FAILED with `details.stage` and the tool's stderr tail when it stopped part way.
   */
  restore(artifact: Readable, target: C, opts: RestoreOptions): Promise<RestoreResult>;
  /** The databases the connection's credentials can see, with their sizes when readable. */
  listDatabases(connection: C): Promise<DatabaseInfo[]>;
  /**
   * Restore drill: an empty target of the same kind on the same server (a `holdfast_drill_<id>`
   * database, a temp folder or file), created with the source's credentials.
   */
  createScratch?(source: C, drillId: string): Promise<ScratchTarget<C>>;
  /** Restore drill: the fingerprint of a (restored) target, computed the same way as the dump's. */
  fingerprint?(connection: C): Promise<Fingerprint>;
}

/** The engines this agent has, each typed with its own connection. */
export type EngineRegistry = { [E in EngineName]?: Engine<ConnectionOf<E>> };
