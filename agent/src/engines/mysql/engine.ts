import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { HoldfastError, type MysqlConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { EngineBase, type EngineOptionsBase } from "../engine-base.js";
import type { ConnectionTestResult, DatabaseInfo, DumpHandle, Engine, Fingerprint, RestoreOptions, RestoreResult, ScratchTarget } from "../types.js";
import { startMysqlDump } from "./dump.js";
import { fingerprintDatabase } from "./fingerprint.js";
import { createOptionsFile } from "./option-file.js";
import { quoteIdent, runSql, type SqlSession } from "./query.js";
import { restoreMysql } from "./restore.js";
import { requireToolVersion, toolVersionLine } from "../tool-version.js";
import { flavorOf, resolveMysqlTools, type MysqlToolPaths } from "./tools.js";

export interface MysqlEngineOptions extends EngineOptionsBase {
  /** Explicit tool paths win over the PATH lookup (tests' stand-ins, odd installs). */
  dumpPath?: string;
  clientPath?: string;
}

/** Fixed text, nothing user-supplied in it: DATABASE() is the database the client connected to. */
export const TEST_SQL = `SELECT VERSION(),
  (SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()),
  (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED'));
`;

/** The server's own schemas are not the operator's databases. */
export const LIST_DATABASES_SQL = `SELECT s.SCHEMA_NAME, (SELECT SUM(t.DATA_LENGTH + t.INDEX_LENGTH) FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME)
FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME NOT IN ('information_schema', 'performance_schema', 'mysql', 'sys') ORDER BY s.SCHEMA_NAME;
`;

/** The schema every server has: where the engine connects when the configured database is not the point. */
const SERVER_SCHEMA = "information_schema";

/** A drill id becomes part of a database name (64 characters at most): a safe alphabet only. */
const DRILL_ID = /^[A-Za-z0-9_]{1,48}$/;

/** `10.11.19-MariaDB-0+deb12u1` → 101119, the number MySQL's own `/*!50003` comments use; null if unreadable. */
export function versionNumOf(version: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? Number(m[1]) * 10_000 + Number(m[2]) * 100 + Number(m[3]) : null;
}

export class MysqlEngine extends EngineBase<MysqlEngineOptions> implements Engine<MysqlConnection> {
  readonly engine = "mysql" as const;
  readonly toolName = "mariadb-dump";
  readonly dumpHeadChecked = true;

  tools(): MysqlToolPaths {
    return resolveMysqlTools({ ...(this.opts.dumpPath ? { dump: this.opts.dumpPath } : {}), ...(this.opts.clientPath ? { client: this.opts.clientPath } : {}) });
  }

  /** The dump tool's version line (`mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, ...`), null when neither it nor mysqldump is installed. */
  async toolVersion(): Promise<string | null> {
    return toolVersionLine(this.tools().dump);
  }

  /** Runs `fn` with a client session on `connection`; the options file is gone when it returns. */
  private async withSession<T>(connection: MysqlConnection, fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = this.tools().client;
    const version = await requireToolVersion(client);
    const optionsFile = await createOptionsFile(this.tmpDir, connection);
    try {
      return await fn({ client, flavor: flavorOf(version), optionsFile, connection });
    } finally {
      await optionsFile.remove();
    }
  }

  async testConnection(connection: MysqlConnection): Promise<ConnectionTestResult> {
    return this.withSession(connection, async (session) => {
      const started = performance.now();
      const rows = await runSql(session, TEST_SQL, { code: "DB_CONNECTION_TEST_FAILED", what: "The connection test (mariadb)" });
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      const [version = "", size, tables] = rows[0] ?? [];
      return {
        latencyMs,
        serverVersion: /mariadb/i.test(version) ? `MariaDB ${version}` : `MySQL ${version}`,
        databaseSizeBytes: size !== undefined && size !== "NULL" ? Number(size) : null,
        serverVersionNum: versionNumOf(version),
        tablesCount: tables !== undefined ? Number(tables) : null,
      };
    });
  }

  async dump(connection: MysqlConnection, options?: ResolvedBackupOptions): Promise<DumpHandle> {
    const tools = this.tools();
    return startMysqlDump({
      dump: tools.dump,
      client: tools.client,
      tmpDir: this.tmpDir,
      connection,
      ...(options ? { options } : {}),
      // Taken after the dump, from the live source: exact when nothing wrote to it meanwhile (README.md).
      fingerprint: () => this.fingerprint(connection),
    });
  }

  async restore(artifact: Readable, target: MysqlConnection, opts: RestoreOptions): Promise<RestoreResult> {
    return restoreMysql({ artifact, target, opts, client: this.tools().client, tmpDir: this.tmpDir, tools: this.codecTools });
  }

  /**
   * Connects to `information_schema`, which every server has, so the list works when the configured
   * database does not exist (exactly when a user needs it). Named rather than left out: a `database=`
   * in the host's /etc/mysql/my.cnf (which the tools still read) cannot pick another one.
   */
  async listDatabases(connection: MysqlConnection): Promise<DatabaseInfo[]> {
    return this.withSession(connection, async (session) => {
      const rows = await runSql(session, LIST_DATABASES_SQL, { code: "DB_CONNECTION_TEST_FAILED", what: "Listing databases (mariadb)", database: SERVER_SCHEMA });
      return rows.map(([name, size]) => ({ name: name!, sizeBytes: size === undefined || size === "NULL" ? null : Number(size) }));
    });
  }

  /**
   * `holdfast_drill_<drillId>` beside the source, with the source database's default charset and
   * collation (routines remember the database collation they were created under).
   */
  async createScratch(source: MysqlConnection, drillId: string): Promise<ScratchTarget<MysqlConnection>> {
    if (!DRILL_ID.test(drillId)) throw new HoldfastError("VALIDATION_FAILED", "A drill id is 1-48 letters, digits or underscores");
    const name = `holdfast_drill_${drillId}`;
    const create = [
      `SET @holdfast_create = (SELECT CONCAT('CREATE DATABASE ${quoteIdent(name)} CHARACTER SET ', DEFAULT_CHARACTER_SET_NAME, ' COLLATE ', DEFAULT_COLLATION_NAME)`,
      "  FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE());",
      "PREPARE holdfast_create FROM @holdfast_create;",
      "EXECUTE holdfast_create;",
      "DEALLOCATE PREPARE holdfast_create;",
      "",
    ].join("\n");
    await this.withSession(source, (s) => runSql(s, create, { code: "RESTORE_FAILED", what: "Creating the drill's scratch database (mariadb)" })).catch((err: unknown) => {
      if (err instanceof HoldfastError && err.code === "RESTORE_FAILED") throw new HoldfastError("RESTORE_FAILED", err.message, { ...err.details, stage: "scratch" });
      throw err;
    });
    const drop = `DROP DATABASE IF EXISTS ${quoteIdent(name)};\n`;
    return {
      connection: { ...source, database: name },
      drop: async () => {
        await this.withSession(source, (s) => runSql(s, drop, { code: "RESTORE_FAILED", what: "Dropping the drill's scratch database (mariadb)", database: SERVER_SCHEMA }));
      },
    };
  }

  async fingerprint(connection: MysqlConnection): Promise<Fingerprint> {
    return this.withSession(connection, (session) => fingerprintDatabase(session));
  }
}
