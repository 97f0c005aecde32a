import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { HoldfastError, type PostgresConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { buildConninfo } from "./conninfo.js";
import { createPassfile } from "./passfile.js";
import { startPgDump } from "./dump.js";
import { restorePostgres } from "./restore.js";
import { buildChildEnv, DEFAULT_PG_BIN_ROOT, resolvePgTools, type PgToolPaths } from "./pg-tools.js";
import { EngineBase, type EngineOptionsBase } from "../engine-base.js";
import type { ConnectionTestResult, DatabaseInfo, DumpHandle, DumpHints, Engine, Fingerprint, PreflightIssue, RestoreOptions, RestoreResult, ScratchTarget } from "../types.js";
import { FINGERPRINT_SQL, parseFingerprint } from "./fingerprint.js";
import { parseToolMajor, serverMajorOf, toolVersionLine } from "../tool-version.js";
import { PsqlSession, runPsql, type PsqlFailure } from "./psql-session.js";
import { assertIsStandby, buildStandbyCheckArgs, dumpSource, lagWarning, parseStandbyStatus, type StandbyStatus } from "./standby.js";

export { buildPgDumpArgs } from "./pg-dump-args.js";
export { buildChildEnv } from "./pg-tools.js";

export interface PostgresEngineOptions extends EngineOptionsBase {
  /** An explicit tool path wins over the choice by server major (tests' stand-ins, odd installs). */
  pgDumpPath?: string;
  pgDumpallPath?: string;
  pgRestorePath?: string;
  psqlPath?: string;
  /** Where client versions live as `<root>/<major>/bin/`; /usr/lib/postgresql by default. */
  pgBinRoot?: string;
  /** -j of directory dumps and parallel restores. */
  jobs?: number;
  /** libpq's connect_timeout (10 s by default; libpq takes 2 s at the least). */
  connectTimeoutSeconds?: number;
}

/** The query testConnection runs: fixed text, nothing user-supplied in it. The tables count is the run's metadata. */
export const TEST_QUERY =
  "select version(), pg_database_size(current_database()), (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'), current_setting('server_version_num')";

/** The query listDatabases runs: connectable non-template databases; a size only where we may connect. */
export const LIST_DATABASES_QUERY =
  "select datname, case when has_database_privilege(datname, 'CONNECT') then pg_database_size(datname) end from pg_database where not datistemplate and datallowconn order by datname";

/**
 * Where listDatabases connects when the configured database does not exist: the maintenance database
 * every cluster has (initdb creates it), else template1, which only a DBA would have dropped.
 */
export const MAINTENANCE_DATABASES = ["postgres", "template1"] as const;

export function buildPsqlTestArgs(connection: PostgresConnection): string[] {
  return [`--dbname=${buildConninfo(connection)}`, "--no-password", "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", TEST_QUERY];
}

/** NUL-separated fields and records: a database name may hold a tab or a newline. */
export function buildPsqlListArgs(connection: PostgresConnection): string[] {
  return [`--dbname=${buildConninfo(connection)}`, "--no-password", "-X", "-A", "-t", "-z", "-0", "-v", "ON_ERROR_STOP=1", "-c", LIST_DATABASES_QUERY];
}

/** listDatabases' output: records end with NUL; within one, the name and the size are NUL-separated too. */
function parseDatabaseList(out: Buffer): DatabaseInfo[] {
  const fields = out.toString("utf8").split("\0");
  const items: DatabaseInfo[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.replace(/^\n/, "");
    const size = fields[i + 1]!;
    if (name === "") continue;
    items.push({ name, sizeBytes: size === "" ? null : Number(size) });
  }
  return items;
}

export class PostgresEngine extends EngineBase<PostgresEngineOptions> implements Engine {
  readonly engine = "postgres" as const;
  readonly toolName = "pg_dump";
  readonly dumpHeadChecked = true;

  private get psql(): string {
    return this.opts.psqlPath ?? "psql";
  }

  /** The client tools for a server major (pg-tools.ts); explicit paths from the options win. */
  tools(serverMajor: number | null): PgToolPaths {
    const picked = resolvePgTools(this.opts.pgBinRoot ?? DEFAULT_PG_BIN_ROOT, serverMajor);
    return {
      pgDump: this.opts.pgDumpPath ?? picked.pgDump,
      pgDumpall: this.opts.pgDumpallPath ?? picked.pgDumpall,
      pgRestore: this.opts.pgRestorePath ?? picked.pgRestore,
      psql: this.opts.psqlPath ?? picked.psql,
      major: this.opts.pgDumpPath ? null : picked.major,
    };
  }

  /** The version line of the pg_dump a dump of a server of this major would use. */
  async toolVersion(serverMajor: number | null = null): Promise<string | null> {
    return toolVersionLine(this.tools(serverMajor).pgDump);
  }

  /** psql with `args(connection)` against `connection`, its password in a passfile for just that run. */
  private async psqlOnce(connection: PostgresConnection, args: (c: PostgresConnection) => string[], failure: Omit<PsqlFailure, "secrets">): Promise<Buffer> {
    const passfile = await createPassfile(this.tmpDir, connection);
    try {
      return await runPsql(this.psql, args(connection), this.env(passfile.path), { ...failure, secrets: passfile.secrets });
    } finally {
      await passfile.remove();
    }
  }

  /** The tools' environment for a passfile (also the whole-server module's: whole-server.ts). */
  env(passfilePath: string | null): NodeJS.ProcessEnv {
    return buildChildEnv(passfilePath, this.opts.connectTimeoutSeconds);
  }

  /** Whether the datasource's standby is replaying, and how far behind (standby.ts). */
  async standbyStatus(connection: PostgresConnection): Promise<StandbyStatus> {
    const out = await this.psqlOnce(dumpSource(connection), buildStandbyCheckArgs, { code: "DB_CONNECTION_TEST_FAILED", what: "The standby check (psql)" });
    return parseStandbyStatus(out.toString("utf8"));
  }

  /** A datasource with a standby: the standby too must answer, and be one (a primary named there is refused naming the field). */
  async testConnection(connection: PostgresConnection): Promise<ConnectionTestResult> {
    const [result, standby] = await Promise.all([this.testPrimary(connection), connection.standby ? this.standbyStatus(connection) : null]);
    if (standby) assertIsStandby(connection, standby);
    return result;
  }

  async preflight(connection: PostgresConnection): Promise<{ blockingIssues: PreflightIssue[]; warnings: PreflightIssue[] }> {
    const lag = connection.standby ? lagWarning(connection, await this.standbyStatus(connection)) : null;
    return { blockingIssues: [], warnings: lag ? [lag] : [] };
  }

  private async testPrimary(connection: PostgresConnection): Promise<ConnectionTestResult> {
    const started = performance.now();
    const out = await this.psqlOnce(connection, buildPsqlTestArgs, { code: "DB_CONNECTION_TEST_FAILED", what: "The connection test (psql)" });
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const parts = out.toString("utf8").trim().split("\t");
    const num = parts.length >= 4 ? Number(parts.pop()) : NaN;
    const tables = parts.length >= 3 ? Number(parts.pop()) : NaN;
    const size = parts.length >= 2 ? Number(parts.pop()) : NaN;
    return {
      latencyMs,
      serverVersion: parts.join("\t"),
      databaseSizeBytes: Number.isFinite(size) ? size : null,
      serverVersionNum: Number.isInteger(num) ? num : null,
      tablesCount: Number.isInteger(tables) ? tables : null,
    };
  }

  async dump(connection: PostgresConnection, options?: ResolvedBackupOptions, hints: DumpHints = {}): Promise<DumpHandle> {
    const tools = this.tools(hints.serverMajor ?? null);
    return startPgDump({
      pgDump: tools.pgDump,
      pgDumpall: tools.pgDumpall,
      psql: tools.psql,
      tmpDir: this.tmpDir,
      env: (passfilePath) => this.env(passfilePath),
      // A standby, when the datasource names one: the dump (and its drill snapshot) read there.
      connection: dumpSource(connection),
      ...(options ? { options } : {}),
      ...(this.opts.jobs ? { jobs: this.opts.jobs } : {}),
      ...(hints.stdoutTo !== undefined ? { stdoutTo: hints.stdoutTo } : {}),
    });
  }

  async restore(artifact: Readable, target: PostgresConnection, opts: RestoreOptions): Promise<RestoreResult> {
    const tools = this.tools(opts.serverMajor ?? null);
    return restorePostgres({
      artifact,
      target,
      opts,
      pgRestore: tools.pgRestore,
      psql: tools.psql,
      tmpDir: this.tmpDir,
      env: (passfilePath) => this.env(passfilePath),
      tools: this.codecTools,
      ...(this.opts.jobs ? { jobs: this.opts.jobs } : {}),
    });
  }

  /** A `holdfast_drill_<id>` database on the source's server (the source's user needs CREATEDB). */
  async createScratch(source: PostgresConnection, drillId: string): Promise<ScratchTarget<PostgresConnection>> {
    const name = `holdfast_drill_${drillId.toLowerCase().replace(/[^a-z0-9_]/g, "").slice(0, 40)}`;
    const ident = `"${name}"`;
    await this.inSession(source, (s) => s.query(`CREATE DATABASE ${ident};`));
    return {
      connection: { ...source, database: name },
      drop: async () => {
        await this.inSession(source, (s) => s.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE);`));
      },
    };
  }

  async fingerprint(connection: PostgresConnection): Promise<Fingerprint> {
    return this.inSession(connection, async (s) => parseFingerprint(await s.query(FINGERPRINT_SQL)));
  }

  private async inSession<T>(connection: PostgresConnection, work: (s: PsqlSession) => Promise<T>): Promise<T> {
    const passfile = await createPassfile(this.tmpDir, connection);
    const session = PsqlSession.open(this.psql, connection, this.env(passfile.path), passfile.secrets, "RESTORE_FAILED");
    try {
      return await work(session);
    } finally {
      await session.close();
      await passfile.remove();
    }
  }

  readonly versionRule = {
    server: "PostgreSQL",
    serverMajor: (server: ConnectionTestResult) => serverMajorOf(server.serverVersionNum),
    toolMajor: (line: string) => parseToolMajor(line),
  };

  /**
   * The databases the credentials can see. When the configured database does not exist (exactly when
   * a user needs the list), the list is read through the maintenance databases instead; any other
   * failure (credentials, an unreachable server) is the answer as it is, and when no maintenance
   * database lets us in either, the configured one's DATABASE_NOT_FOUND is.
   */
  async listDatabases(connection: PostgresConnection): Promise<DatabaseInfo[]> {
    const list = (database: string) =>
      this.psqlOnce({ ...connection, database }, buildPsqlListArgs, { code: "DB_CONNECTION_TEST_FAILED", what: `Listing databases (psql, through ${database})` });
    try {
      return parseDatabaseList(await list(connection.database));
    } catch (err) {
      if (!(err instanceof HoldfastError) || err.code !== "DATABASE_NOT_FOUND") throw err;
      for (const database of MAINTENANCE_DATABASES.filter((d) => d !== connection.database)) {
        const out = await list(database).catch((e: unknown) => e);
        if (Buffer.isBuffer(out)) return parseDatabaseList(out);
        if (!(out instanceof HoldfastError) || out.code === "DATABASE_UNREACHABLE") throw out;
      }
      throw err;
    }
  }
}
