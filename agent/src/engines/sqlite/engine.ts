import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import Database from "better-sqlite3";
import { HoldfastError, type ResolvedBackupOptions, type SqliteConnection } from "@holdfast/shared/protocol";
import { SAFE_ID } from "../../fs-safe.js";
import { freeBytesAt } from "../../host/free-space.js";
import { EngineBase, type EngineOptionsBase } from "../engine-base.js";
import type { ConnectionTestResult, DatabaseInfo, DumpHandle, Engine, Fingerprint, PreflightIssue, RestoreOptions, RestoreResult, ScratchTarget } from "../types.js";
import { startSqliteDump } from "./dump.js";
import { makePrivateDir } from "./private-dir.js";
import { COMPANION_SUFFIXES, restoreSqlite } from "./restore.js";
import { runSqliteTask } from "./run-worker.js";
import { sqliteError } from "./sqlite-errors.js";

export interface SqliteEngineOptions extends EngineOptionsBase {
  /** How long a read waits for another connection's lock before the database counts as locked. */
  busyTimeoutMs?: number;
  /** Fingerprint every dump's snapshot, drill or not (tests); by default only a backup with `verify` pays that extra read. */
  fingerprintDumps?: boolean;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

/** The SQLite library linked into better-sqlite3: the one that reads, copies and checks every database. */
export function linkedSqliteVersion(): string {
  const db = new Database(":memory:");
  try {
    return db.prepare("SELECT sqlite_version()").pluck().get() as string;
  } finally {
    db.close();
  }
}

/**
 * A SQLite database file (`connection.path`), dumped with SQLite's online backup API into a consistent
 * copy that streams out as the artifact (a plain database file, `.sqlite[.gz|.zst]`), restored by an
 * atomic rename. All database work runs on a worker thread (run-worker.ts). See README.md.
 */
export class SqliteEngine extends EngineBase<SqliteEngineOptions> implements Engine<SqliteConnection> {
  readonly engine = "sqlite" as const;
  readonly toolName = "sqlite online backup API";

  private get busyTimeoutMs(): number {
    return this.opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  }

  async toolVersion(): Promise<string | null> {
    try {
      return `SQLite ${linkedSqliteVersion()} (better-sqlite3)`;
    } catch {
      return null;
    }
  }

  async testConnection(connection: SqliteConnection): Promise<ConnectionTestResult> {
    const started = performance.now();
    const { result } = await runSqliteTask({ kind: "probe", path: connection.path, busyTimeoutMs: this.busyTimeoutMs }, "probe").catch((err: unknown) => {
      throw sqliteError("DB_CONNECTION_TEST_FAILED", err, { path: connection.path, busyTimeoutMs: this.busyTimeoutMs });
    });
    return {
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
      serverVersion: `SQLite ${result.sqliteVersion}`,
      databaseSizeBytes: result.sizeBytes,
      tablesCount: result.tables,
    };
  }

  /**
   * The dump copies the database (and its WAL) into tmpDir before streaming it: that much room must
   * be free there, or the run would fail part way with ENOSPC.
   */
  async preflight(connection: SqliteConnection): Promise<{ blockingIssues: PreflightIssue[]; warnings: PreflightIssue[] }> {
    const sizeOf = (file: string) => fs.promises.stat(file).then((s) => s.size, () => 0);
    const [db, wal, free] = await Promise.all([sizeOf(connection.path), sizeOf(`${connection.path}-wal`), freeBytesAt(this.tmpDir)]);
    const needed = db + wal;
    if (free === null) return { blockingIssues: [], warnings: [{ code: "FREE_SPACE_UNKNOWN", message: `Could not read the free space of ${this.tmpDir}` }] };
    if (free < needed) {
      return { blockingIssues: [{ code: "INSUFFICIENT_SPACE", message: `The SQLite copy needs ${needed} bytes in ${this.tmpDir}; ${free} are free` }], warnings: [] };
    }
    return { blockingIssues: [], warnings: [] };
  }

  /** The artifact's format is always the database file itself (`sqlite`): there is nothing to choose. */
  async dump(connection: SqliteConnection, options?: ResolvedBackupOptions): Promise<DumpHandle> {
    const fingerprint = this.opts.fingerprintDumps ?? options?.verify === true;
    return startSqliteDump({ connection, tmpDir: this.tmpDir, busyTimeoutMs: this.busyTimeoutMs, fingerprint });
  }

  async restore(artifact: Readable, target: SqliteConnection, opts: RestoreOptions): Promise<RestoreResult> {
    if (opts.format !== "sqlite") throw new HoldfastError("VALIDATION_FAILED", `A SQLite datasource restores only the "sqlite" format, not "${opts.format}"`);
    return restoreSqlite({ artifact, target, opts, tools: this.codecTools });
  }

  async listDatabases(connection: SqliteConnection): Promise<DatabaseInfo[]> {
    const st = await fs.promises.stat(connection.path).catch(() => null);
    return [{ name: connection.path, sizeBytes: st?.isFile() ? st.size : null }];
  }

  /** A path in a fresh private folder; the restore creates the file, drop removes the folder with any -wal/-shm. */
  async createScratch(_source: SqliteConnection, drillId: string): Promise<ScratchTarget<SqliteConnection>> {
    const dir = await makePrivateDir(this.tmpDir, `holdfast-drill-${SAFE_ID.test(drillId) ? drillId.slice(0, 64) : "sqlite"}-`);
    const file = path.join(dir, "drill.sqlite");
    return {
      connection: { path: file },
      drop: async () => {
        for (const f of [file, ...COMPANION_SUFFIXES.map((s) => file + s)]) await fs.promises.rm(f, { force: true });
        await fs.promises.rm(dir, { recursive: true, force: true });
      },
    };
  }

  async fingerprint(connection: SqliteConnection): Promise<Fingerprint> {
    const { fingerprint } = await runSqliteTask({ kind: "fingerprint", path: connection.path, busyTimeoutMs: this.busyTimeoutMs }, "fingerprint").catch((err: unknown) => {
      throw sqliteError("DUMP_FAILED", err, { path: connection.path, stage: "fingerprint", busyTimeoutMs: this.busyTimeoutMs });
    });
    return fingerprint;
  }
}
