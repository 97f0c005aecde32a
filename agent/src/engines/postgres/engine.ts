import os from "node:os";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { HoldfastError, type PostgresConnection, type ResolvedBackupOptions } from "@holdfast/shared";
import { buildConninfo } from "./conninfo.js";
import { createPassfile } from "./passfile.js";
import { startPgDump } from "./dump.js";
import { restorePostgres } from "./restore.js";
import { DEFAULT_PG_BIN_ROOT, resolvePgTools, type PgToolPaths } from "./pg-tools.js";
import { redactSecrets, spawnTool, type ToolExit } from "../spawn-tool.js";
import type { ConnectionTestResult, DatabaseInfo, DumpHandle, DumpHints, Engine, Fingerprint, RestoreOptions, RestoreResult, ScratchTarget } from "../types.js";
import { FINGERPRINT_SQL, parseFingerprint } from "./fingerprint.js";
import { parseToolMajor, serverMajorOf } from "../tool-version.js";
import { PsqlSession } from "./psql-session.js";

export { buildPgDumpArgs } from "./pg-dump-args.js";

export interface PostgresEngineOptions {
  /** An explicit tool path wins over the choice by server major (tests' stand-ins, odd installs). */
  pgDumpPath?: string;
  pgDumpallPath?: string;
  pgRestorePath?: string;
  psqlPath?: string;
  /** Where client versions live as `<root>/<major>/bin/`; /usr/lib/postgresql by default. */
  pgBinRoot?: string;
  zstdPath?: string;
  /** -j of directory dumps and parallel restores. */
  jobs?: number;
  /** Where per-run passfile and work dirs go; os.tmpdir() (which honours TMPDIR) by default. */
  tmpDir?: string;
}

/** The query testConnection runs: fixed text, nothing user-supplied in it. The tables count is the run's metadata. */
export const TEST_QUERY =
  "select version(), pg_database_size(current_database()), (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'), current_setting('server_version_num')";

/** The query listDatabases runs: connectable non-template databases; a size only where we may connect. */
export const LIST_DATABASES_QUERY =
  "select datname, case when has_database_privilege(datname, 'CONNECT') then pg_database_size(datname) end from pg_database where not datistemplate and datallowconn order by datname";

export function buildPsqlTestArgs(connection: PostgresConnection): string[] {
  return [`--dbname=${buildConninfo(connection)}`, "--no-password", "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", TEST_QUERY];
}

/** NUL-separated fields and records: a database name may hold a tab or a newline. */
export function buildPsqlListArgs(connection: PostgresConnection): string[] {
  return [`--dbname=${buildConninfo(connection)}`, "--no-password", "-X", "-A", "-t", "-z", "-0", "-v", "ON_ERROR_STOP=1", "-c", LIST_DATABASES_QUERY];
}

/** A minimal environment: nothing of the agent's own (tokens, HOLDFAST_*) reaches the tool. */
export function buildChildEnv(passfilePath: string | null): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    PGCONNECT_TIMEOUT: "10",
    PGAPPNAME: "holdfast-agent",
    ...(passfilePath ? { PGPASSFILE: passfilePath } : {}),
  };
}

export function toolFailure(code: "DUMP_FAILED" | "DB_CONNECTION_TEST_FAILED" | "RESTORE_FAILED", what: string, exit: ToolExit, password?: string): HoldfastError {
  // Also the passfile's escaped spelling, in case a tool echoes the file back.
  const escaped = password?.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  const stderr = redactSecrets(exit.stderrTail.trim(), [password, escaped]);
  const why = exit.signal ? `was stopped by ${exit.signal}` : `exited with code ${exit.code}`;
  return new HoldfastError(code, `${what} ${why}`, { exitCode: exit.code, signal: exit.signal, stderr });
}

export class PostgresEngine implements Engine {
  readonly engine = "postgres" as const;
  readonly toolName = "pg_dump";
  private readonly opts: PostgresEngineOptions;
  private readonly psql: string;
  private readonly tmpDir: string;

  constructor(opts: PostgresEngineOptions = {}) {
    this.opts = opts;
    this.psql = opts.psqlPath ?? "psql";
    this.tmpDir = opts.tmpDir ?? os.tmpdir();
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
    const tool = spawnTool("pg_dump", this.tools(serverMajor).pgDump, ["--version"], buildChildEnv(null));
    let out = "";
    tool.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    try {
      const exit = await tool.exited;
      return exit.code === 0 ? out.trim() : null;
    } catch {
      return null;
    }
  }

  async testConnection(connection: PostgresConnection): Promise<ConnectionTestResult> {
    const passfile = await createPassfile(this.tmpDir, connection);
    try {
      const started = performance.now();
      const tool = spawnTool("psql", this.psql, buildPsqlTestArgs(connection), buildChildEnv(passfile.path));
      let out = "";
      tool.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
      const exit = await tool.exited;
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      if (exit.code !== 0) throw toolFailure("DB_CONNECTION_TEST_FAILED", "The connection test (psql)", exit, passfile.password);
      const parts = out.trim().split("\t");
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
    } finally {
      await passfile.remove();
    }
  }

  async dump(connection: PostgresConnection, options?: ResolvedBackupOptions, hints: DumpHints = {}): Promise<DumpHandle> {
    const tools = this.tools(hints.serverMajor ?? null);
    return startPgDump({
      pgDump: tools.pgDump,
      pgDumpall: tools.pgDumpall,
      psql: tools.psql,
      tmpDir: this.tmpDir,
      connection,
      ...(options ? { options } : {}),
      ...(this.opts.jobs ? { jobs: this.opts.jobs } : {}),
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
      ...(this.opts.zstdPath ? { zstdPath: this.opts.zstdPath } : {}),
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
    const session = PsqlSession.open(this.psql, connection, buildChildEnv(passfile.path), passfile.password, "RESTORE_FAILED");
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

  async listDatabases(connection: PostgresConnection): Promise<DatabaseInfo[]> {
    const passfile = await createPassfile(this.tmpDir, connection);
    try {
      const tool = spawnTool("psql", this.psql, buildPsqlListArgs(connection), buildChildEnv(passfile.path));
      const chunks: Buffer[] = [];
      tool.stdout.on("data", (c: Buffer) => chunks.push(c));
      const exit = await tool.exited;
      if (exit.code !== 0) throw toolFailure("DB_CONNECTION_TEST_FAILED", "Listing databases (psql)", exit, passfile.password);
      // Records end with NUL; within one, the name and the size are NUL-separated too.
      const fields = Buffer.concat(chunks).toString("utf8").split("\0");
      const items: DatabaseInfo[] = [];
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const name = fields[i]!.replace(/^\n/, "");
        const size = fields[i + 1]!;
        if (name === "") continue;
        items.push({ name, sizeBytes: size === "" ? null : Number(size) });
      }
      return items;
    } finally {
      await passfile.remove();
    }
  }
}
