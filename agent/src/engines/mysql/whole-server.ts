import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { HoldfastError, type ErrorCode, type MysqlConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { startDump } from "../dump-handle.js";
import { isDatabaseFailureCode } from "../failure-codes.js";
import { feedTool, redactSecrets, spawnFilter, stderrLines, toolEnv } from "../spawn-tool.js";
import { requireToolVersion } from "../tool-version.js";
import type { ConnectionTestResult, DumpHandle, PreflightIssue, RestoreOptions, RestoreResult } from "../types.js";
import type { ServerDatabase, ServerDialect } from "../whole-server.js";
import { buildClientArgs, buildConnectionArgs } from "./args.js";
import { endsWithTrailer } from "./dump.js";
import { versionNumOf, type MysqlEngine } from "./engine.js";
import { createOptionsFile } from "./option-file.js";
import { mysqlToolFailure, quoteIdent, runSql, type SqlSession } from "./query.js";
import { clientHasSandbox, flavorOf } from "./tools.js";

/** The server's own schemas: never the operator's databases. */
const SYSTEM = "('information_schema', 'performance_schema', 'mysql', 'sys')";

/** Fixed text: the server's version and the size of the databases a whole-server backup takes. */
export const SERVER_TEST_SQL = `SELECT VERSION(), (SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN ${SYSTEM});\n`;

/** The databases a whole-server backup takes (not the server's own, not a drill's scratch), with their charset and collation. */
export const SERVER_DATABASES_SQL = `SELECT VERSION();
SELECT s.SCHEMA_NAME, s.DEFAULT_CHARACTER_SET_NAME, s.DEFAULT_COLLATION_NAME,
  (SELECT SUM(t.DATA_LENGTH + t.INDEX_LENGTH) FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME)
FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME NOT IN ${SYSTEM} AND s.SCHEMA_NAME NOT LIKE 'holdfast\\_drill\\_%' ORDER BY s.SCHEMA_NAME;
`;

/** Objects per database of the target server (tables and views, routines, events): 0 is an empty database. */
export const TARGET_OBJECTS_SQL = `SELECT s.SCHEMA_NAME,
  (SELECT COUNT(*) FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME)
  + (SELECT COUNT(*) FROM information_schema.ROUTINES r WHERE r.ROUTINE_SCHEMA = s.SCHEMA_NAME)
  + (SELECT COUNT(*) FROM information_schema.EVENTS e WHERE e.EVENT_SCHEMA = s.SCHEMA_NAME)
FROM information_schema.SCHEMATA s;
`;

const SERVER_SCHEMA = "information_schema";
const CHARSET = /^[A-Za-z0-9_]{1,64}$/;

/**
 * MySQL's and MariaDB's whole server: one plain SQL dump per database (the engine's own mariadb-dump),
 * and the users and grants where the tools can take them: `mariadb-dump --system=users` against a
 * MariaDB server (`CREATE USER IF NOT EXISTS` and GRANTs). MySQL's mysqldump has no such switch, so a
 * MySQL server's backup carries no users, and says so. At restore each database is created when
 * missing (its charset and collation) and restored with the engine's own client.
 */
export class MysqlServer implements ServerDialect<MysqlConnection> {
  readonly engine = "mysql" as const;
  readonly memberFormat = "plain" as const;
  readonly memberExt = ".sql" as const;

  constructor(private readonly my: MysqlEngine) {}

  /** A MySQL datasource names no replica: a backup reads the server itself. */
  backupSource(connection: MysqlConnection): MysqlConnection {
    return connection;
  }

  async preflightWarnings(): Promise<PreflightIssue[]> {
    return [];
  }

  private async session<T>(connection: MysqlConnection, fn: (s: SqlSession) => Promise<T>): Promise<T> {
    const client = this.my.tools().client;
    const flavor = flavorOf(await requireToolVersion(client));
    const optionsFile = await createOptionsFile(this.my.tmpDir, connection);
    try {
      return await fn({ client, flavor, optionsFile, connection });
    } finally {
      await optionsFile.remove();
    }
  }

  private sql(connection: MysqlConnection, sql: string, failure: { code: ErrorCode; what: string }): Promise<string[][]> {
    return this.session(connection, (s) => runSql(s, sql, { ...failure, database: SERVER_SCHEMA }));
  }

  async testServer(connection: MysqlConnection): Promise<ConnectionTestResult> {
    const started = performance.now();
    const rows = await this.sql(connection, SERVER_TEST_SQL, { code: "DB_CONNECTION_TEST_FAILED", what: "The connection test of the whole server (mariadb)" });
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const [version = "", size] = rows[0] ?? [];
    return {
      latencyMs,
      serverVersion: labelled(version),
      databaseSizeBytes: size !== undefined && size !== "NULL" ? Number(size) : null,
      serverVersionNum: versionNumOf(version),
      tablesCount: null,
    };
  }

  async describe(connection: MysqlConnection): Promise<{ serverVersion: string; databases: ServerDatabase[] }> {
    const rows = await this.sql(connection, SERVER_DATABASES_SQL, { code: "DB_CONNECTION_TEST_FAILED", what: "Listing the server's databases (mariadb)" });
    const [[version = ""] = [], ...list] = rows;
    return {
      serverVersion: labelled(version),
      databases: list.map(([name, charset, collation, size]) => ({
        name: name!,
        sizeBytes: size === undefined || size === "NULL" ? null : Number(size),
        properties: { charset: charset ?? null, collation: collation ?? null },
      })),
    };
  }

  /** `mariadb-dump --system=users --insert-ignore` against a MariaDB server; against MySQL, or with MySQL's tools, skipped with the reason. */
  async dumpGlobals(connection: MysqlConnection): Promise<DumpHandle | { skipped: string }> {
    const bin = this.my.tools().dump;
    const flavor = flavorOf(await requireToolVersion(bin));
    const [[version = ""] = []] = await this.sql(connection, "SELECT VERSION();\n", { code: "DUMP_FAILED", what: "Reading the server's version (mariadb)" });
    if (flavor !== "mariadb" || !/mariadb/i.test(version)) {
      return { skipped: "users and grants are taken from MariaDB servers with MariaDB's mariadb-dump (--system=users); MySQL's mysqldump cannot dump them" };
    }
    const optionsFile = await createOptionsFile(this.my.tmpDir, connection);
    const args = [...buildConnectionArgs(optionsFile.path, connection, flavor), "--system=users", "--insert-ignore", "--comments", "--default-character-set=utf8mb4"];
    const name = path.basename(bin);
    let tail = Buffer.alloc(0);
    return startDump({
      produce: async (run) => {
        const exit = await run.tool({
          name,
          bin,
          args,
          env: toolEnv(),
          toOut: true,
          onStdout: (chunk) => {
            tail = Buffer.concat([tail, chunk]).subarray(-256);
          },
          failure: (e) => mysqlToolFailure("DUMP_FAILED", `${name} (users)`, e, optionsFile.secrets),
          warnings: (e) => stderrLines(e, optionsFile.secrets),
        });
        if (!endsWithTrailer(tail)) {
          throw new HoldfastError("DUMP_FAILED", `${name} (users) exited 0 but its output ends without the "-- Dump completed" trailer`, { stderr: redactSecrets(exit.stderrTail.trim(), optionsFile.secrets) });
        }
      },
      cleanup: () => optionsFile.remove(),
    });
  }

  dumpDatabase(connection: MysqlConnection, options: ResolvedBackupOptions): Promise<DumpHandle> {
    return this.my.dump(connection, options);
  }

  async inspectTargets(target: MysqlConnection, names: string[]): Promise<Map<string, number | null>> {
    const rows = await this.sql(target, TARGET_OBJECTS_SQL, { code: "DB_CONNECTION_TEST_FAILED", what: "Checking the restore targets (mariadb)" });
    const counts = new Map(rows.map(([name, count]) => [name!, Number(count)]));
    return new Map(names.map((n) => [n, counts.get(n) ?? null]));
  }

  async createDatabase(target: MysqlConnection, name: string, properties: Record<string, string | null>): Promise<string[]> {
    const { charset, collation } = properties;
    const spec = `${charset && CHARSET.test(charset) ? ` CHARACTER SET ${charset}` : ""}${collation && CHARSET.test(collation) ? ` COLLATE ${collation}` : ""}`;
    await this.sql(target, `CREATE DATABASE ${quoteIdent(name)}${spec};\n`, { code: "RESTORE_FAILED", what: `Creating database ${name} (mariadb)` });
    return [];
  }

  /**
   * The users' SQL through the client (binary mode, sandbox where it has it) with `--force`: a
   * statement the restoring user may not run (a GRANT PROXY) is a warning, not the end. A stream
   * that fails part way kills the client before its stdin closes.
   */
  async restoreGlobals(sql: Readable, target: MysqlConnection): Promise<string[]> {
    return this.session(target, async (s) => {
      const sandbox = await clientHasSandbox(s.client);
      const tool = spawnFilter(path.basename(s.client), s.client, [...buildClientArgs(s.optionsFile.path, target, s.flavor, { sandbox, database: null }), "--force"], toolEnv());
      const exit = await feedTool(tool, sql);
      const notes = stderrLines(exit, s.optionsFile.secrets);
      if (exit.code !== 0) {
        // --force goes on past a statement's error but exits 1; a login refused or a server gone is the end.
        const failure = mysqlToolFailure("RESTORE_FAILED", `${path.basename(s.client)} (users)`, exit, s.optionsFile.secrets);
        if (isDatabaseFailureCode(failure.code) || exit.signal !== null || notes.length === 0) throw failure;
      }
      return notes;
    });
  }

  restoreDatabase(dump: Readable, target: MysqlConnection, opts: RestoreOptions): Promise<RestoreResult> {
    return this.my.restore(dump, target, { ...opts, format: "plain", codec: "none" });
  }
}

/** `MariaDB 10.11.19-...` or `MySQL 8.0.36`, as the engine's connection test labels a version. */
function labelled(version: string): string {
  return /mariadb/i.test(version) ? `MariaDB ${version}` : `MySQL ${version}`;
}
