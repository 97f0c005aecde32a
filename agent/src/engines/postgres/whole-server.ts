import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { HoldfastError, type ErrorCode, type PostgresConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { startDump } from "../dump-handle.js";
import { feedTool, spawnFilter, stderrLines } from "../spawn-tool.js";
import type { ConnectionTestResult, DumpHandle, DumpHints, PreflightIssue, RestoreOptions, RestoreResult } from "../types.js";
import type { ServerDatabase, ServerDialect } from "../whole-server.js";
import { buildConninfo } from "./conninfo.js";
import type { PostgresEngine } from "./engine.js";
import { createPassfile, type Passfile } from "./passfile.js";
import { buildPgDumpallGlobalsArgs } from "./pg-dump-args.js";
import { pgToolFailure } from "./pg-tools.js";
import { newRestrictKey, PsqlGuard } from "./psql-guard.js";
import { runPsql } from "./psql-session.js";
import { assertIsStandby, dumpSource, lagWarning, parseStandbyStatus, STANDBY_QUERY, type StandbyStatus } from "./standby.js";
import { psqlSupportsRestrict, TARGET_OBJECTS_QUERY } from "./restore.js";

/** Where a whole server is reached for its list, its globals and CREATE DATABASE: the maintenance database, else template1. */
const MAINTENANCE = ["postgres", "template1"] as const;

/** Fixed text: the server's version, and the size of the databases a whole-server backup takes. */
export const SERVER_TEST_QUERY =
  "select version(), current_setting('server_version_num'), (select sum(pg_database_size(datname)) from pg_database where datallowconn and not datistemplate and has_database_privilege(datname, 'CONNECT'))";

/**
 * The databases a whole-server backup takes: not the templates (template0, template1, any other
 * marked so), not one nobody may connect to, not a restore drill's scratch database; with what
 * creating each again takes. `postgres` is taken like any other: people keep data there.
 */
export const SERVER_DATABASES_QUERY = `select datname, pg_encoding_to_char(encoding), datcollate, datctype, pg_get_userbyid(datdba),
  case when has_database_privilege(datname, 'CONNECT') then pg_database_size(datname) end
  from pg_database where not datistemplate and datallowconn and datname not like 'holdfast\\_drill\\_%' order by datname`;

/** `name` as an SQL identifier. */
function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `value` as an SQL literal in dollar quotes with a random tag: nothing in the value can close it, whatever standard_conforming_strings says. */
function literal(value: string): string {
  const tag = `$hf${randomBytes(6).toString("hex")}$`;
  return `${tag}${value}${tag}`;
}

const ENCODING = /^[A-Za-z0-9_]{1,64}$/;

/**
 * PostgreSQL's whole server: `pg_dumpall --globals-only` for the roles and tablespaces, `pg_dump -Fc`
 * (the engine's own dump) per database; at restore the globals through psql behind PsqlGuard, each
 * database created (template0, the source's encoding and locale, its owner when that role exists) and
 * restored with the engine's own pg_restore. Everything goes through the engine's tools and
 * environment, so its choice of client by server major applies here too.
 */
export class PostgresServer implements ServerDialect<PostgresConnection> {
  readonly engine = "postgres" as const;
  readonly memberFormat = "custom" as const;
  readonly memberExt = ".dump" as const;

  constructor(private readonly pg: PostgresEngine) {}

  private psql(serverMajor: number | null = null): string {
    return this.pg.tools(serverMajor).psql;
  }

  /** psql -c `sql` on the server's maintenance database (postgres, else template1 when postgres was dropped). */
  private async onServer(connection: PostgresConnection, sql: string, failure: { code: ErrorCode; what: string }, extra: string[] = []): Promise<Buffer> {
    let notFound: unknown = null;
    for (const database of MAINTENANCE) {
      const out = await this.onDatabase({ ...connection, database }, sql, failure, extra).catch((err: unknown) => err);
      if (Buffer.isBuffer(out)) return out;
      if (!(out instanceof HoldfastError) || out.code !== "DATABASE_NOT_FOUND") throw out;
      notFound ??= out;
    }
    throw notFound;
  }

  /** psql -c `sql` on `connection.database`, its password in a passfile for just that run. */
  private async onDatabase(connection: PostgresConnection, sql: string, failure: { code: ErrorCode; what: string }, extra: string[] = []): Promise<Buffer> {
    const passfile = await createPassfile(this.pg.tmpDir, connection);
    try {
      const args = [`--dbname=${buildConninfo(connection)}`, "--no-password", "-X", "-A", "-t", ...extra, "-v", "ON_ERROR_STOP=1", "-c", sql];
      return await runPsql(this.psql(), args, this.pg.env(passfile.path), { ...failure, secrets: passfile.secrets });
    } finally {
      await passfile.remove();
    }
  }

  /** The first maintenance database that lets us in: globals and CREATE DATABASE run there. */
  private async maintenance(connection: PostgresConnection): Promise<string> {
    let notFound: unknown = null;
    for (const database of MAINTENANCE) {
      const out = await this.onDatabase({ ...connection, database }, "select 1", { code: "DB_CONNECTION_TEST_FAILED", what: `Connecting to ${database} (psql)` }).catch((err: unknown) => err);
      if (Buffer.isBuffer(out)) return database;
      if (!(out instanceof HoldfastError) || out.code !== "DATABASE_NOT_FOUND") throw out;
      notFound ??= out;
    }
    throw notFound;
  }

  /** Whether the datasource's standby is replaying, and how far behind, asked on its maintenance database. */
  private async standbyStatus(connection: PostgresConnection): Promise<StandbyStatus> {
    const out = await this.onServer(dumpSource(connection), STANDBY_QUERY, { code: "DB_CONNECTION_TEST_FAILED", what: "The standby check (psql)" }, ["-F", "\t"]);
    return parseStandbyStatus(out.toString("utf8"));
  }

  backupSource(connection: PostgresConnection): PostgresConnection {
    return dumpSource(connection);
  }

  async preflightWarnings(connection: PostgresConnection): Promise<PreflightIssue[]> {
    const lag = connection.standby ? lagWarning(connection, await this.standbyStatus(connection)) : null;
    return lag ? [lag] : [];
  }

  /** The primary's test; with a standby, the standby too must answer and be one (a primary named there is refused naming the field). */
  async testServer(connection: PostgresConnection): Promise<ConnectionTestResult> {
    const [result, standby] = await Promise.all([this.testPrimary(connection), connection.standby ? this.standbyStatus(connection) : null]);
    if (standby) assertIsStandby(connection, standby);
    return result;
  }

  private async testPrimary(connection: PostgresConnection): Promise<ConnectionTestResult> {
    const started = performance.now();
    const out = await this.onServer(connection, SERVER_TEST_QUERY, { code: "DB_CONNECTION_TEST_FAILED", what: "The connection test of the whole server (psql)" }, ["-F", "\t"]);
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    const [version = "", num = "", size = ""] = out.toString("utf8").trim().split("\t");
    return {
      latencyMs,
      serverVersion: version,
      databaseSizeBytes: size === "" ? null : Number(size),
      serverVersionNum: Number.isInteger(Number(num)) && num !== "" ? Number(num) : null,
      tablesCount: null,
    };
  }

  async describe(connection: PostgresConnection): Promise<{ serverVersion: string; databases: ServerDatabase[] }> {
    const failure = { code: "DB_CONNECTION_TEST_FAILED" as const, what: "Listing the server's databases (psql)" };
    const version = (await this.onServer(connection, "select version()", failure)).toString("utf8").trim();
    // NUL-separated fields and records: a database name may hold a tab or a newline.
    const fields = (await this.onServer(connection, SERVER_DATABASES_QUERY, failure, ["-z", "-0"])).toString("utf8").split("\0");
    const databases: ServerDatabase[] = [];
    for (let i = 0; i + 5 < fields.length; i += 6) {
      const [name, encoding, collate, ctype, owner, size] = fields.slice(i, i + 6).map((f, j) => (j === 0 ? f.replace(/^\n/, "") : f));
      if (!name) continue;
      databases.push({ name, sizeBytes: size === "" ? null : Number(size), properties: { encoding: encoding ?? null, collate: collate ?? null, ctype: ctype ?? null, owner: owner ?? null } });
    }
    return { serverVersion: version, databases };
  }

  /**
   * `pg_dumpall --globals-only` through the maintenance database. A user that is not a superuser
   * cannot read pg_authid: then `--no-role-passwords` (the roles without their passwords), said in a warning.
   */
  async dumpGlobals(connection: PostgresConnection, hints: DumpHints): Promise<DumpHandle> {
    const database = await this.maintenance(connection);
    const on = { ...connection, database };
    const superuser = (await this.onDatabase(on, "select rolsuper from pg_roles where rolname = current_user", { code: "DUMP_FAILED", what: "Reading the user's role (psql)" })).toString("utf8").trim() === "t";
    const passfile: Passfile = await createPassfile(this.pg.tmpDir, on);
    const args = [...buildPgDumpallGlobalsArgs(on), ...(superuser ? [] : ["--no-role-passwords"])];
    return startDump({
      produce: async (run) => {
        if (!superuser) run.warnings.push("pg_dumpall: the user is not a superuser: the roles are taken without their passwords (--no-role-passwords)");
        await run.tool({
          name: "pg_dumpall",
          bin: this.pg.tools(hints.serverMajor ?? null).pgDumpall,
          args,
          env: this.pg.env(passfile.path),
          toOut: true,
          failure: (exit) => pgToolFailure("DUMP_FAILED", "pg_dumpall", exit, passfile.secrets),
          warnings: (exit) => stderrLines(exit, passfile.secrets),
        });
      },
      cleanup: () => passfile.remove(),
    });
  }

  dumpDatabase(connection: PostgresConnection, options: ResolvedBackupOptions, hints: DumpHints): Promise<DumpHandle> {
    return this.pg.dump(connection, options, hints);
  }

  async inspectTargets(target: PostgresConnection, names: string[]): Promise<Map<string, number | null>> {
    const out = await this.onServer(target, "select datname from pg_database", { code: "DB_CONNECTION_TEST_FAILED", what: "Listing the target server's databases (psql)" }, ["-0"]);
    const existing = new Set(out.toString("utf8").split("\0").map((n) => n.replace(/^\n/, "")));
    const found = new Map<string, number | null>();
    for (const name of names) {
      if (!existing.has(name)) {
        found.set(name, null);
        continue;
      }
      const count = await this.onDatabase({ ...target, database: name }, TARGET_OBJECTS_QUERY, { code: "DB_CONNECTION_TEST_FAILED", what: `Checking the restore target ${name} (psql)` });
      found.set(name, Number(count.toString("utf8").trim()));
    }
    return found;
  }

  /**
   * CREATE DATABASE from template0 with the source's encoding and locale; a locale the target's
   * system lacks falls back to the server's default, with a warning. The source's owner when that
   * role exists on the target (and ownership is kept), else the restoring user, with a warning.
   */
  async createDatabase(target: PostgresConnection, name: string, properties: Record<string, string | null>, opts: { noOwner: boolean }): Promise<string[]> {
    const warnings: string[] = [];
    const failure = { code: "RESTORE_FAILED" as const, what: `Creating database ${name} (psql)` };
    const encoding = properties.encoding && ENCODING.test(properties.encoding) ? ` ENCODING ${literal(properties.encoding)}` : "";
    const { collate, ctype } = properties;
    const base = `CREATE DATABASE ${ident(name)} TEMPLATE template0${encoding}`;
    if (collate && ctype) {
      const withLocale = await this.onServer(target, `${base} LC_COLLATE ${literal(collate)} LC_CTYPE ${literal(ctype)}`, failure).catch((err: unknown) => err);
      if (!Buffer.isBuffer(withLocale)) {
        const stderr = withLocale instanceof HoldfastError ? String(withLocale.details?.stderr ?? "") : "";
        if (!/locale|collation|incompatible/i.test(stderr)) throw withLocale;
        await this.onServer(target, base, failure);
        warnings.push(`created with the server's default locale: the source's (${collate}, ${ctype}) is not available here`);
      }
    } else {
      await this.onServer(target, base, failure);
    }
    const owner = properties.owner;
    if (owner && !opts.noOwner) {
      const exists = (await this.onServer(target, `select count(*) from pg_roles where rolname = ${literal(owner)}`, failure)).toString("utf8").trim() === "1";
      if (exists) await this.onServer(target, `ALTER DATABASE ${ident(name)} OWNER TO ${ident(owner)}`, failure);
      else warnings.push(`owner ${owner} does not exist on the target server: the database is owned by the restoring user (restore the globals to bring the roles)`);
    }
    return warnings;
  }

  /**
   * The globals' SQL through psql on the maintenance database, behind its own PsqlGuard (the globals
   * are data from the artifact like the rest). Statement errors do not stop it (`role "postgres"
   * already exists` is expected) and come back as warnings. A stream that fails part way kills psql
   * before its stdin closes, so a half statement is never run.
   */
  async restoreGlobals(sql: Readable, target: PostgresConnection, opts: RestoreOptions): Promise<string[]> {
    const database = await this.maintenance(target);
    const on = { ...target, database };
    const psql = this.psql(opts.serverMajor ?? null);
    const key = (await psqlSupportsRestrict(psql)) ? newRestrictKey() : null;
    const passfile = await createPassfile(this.pg.tmpDir, on);
    try {
      const tool = spawnFilter("psql", psql, [`--dbname=${buildConninfo(on)}`, "--no-password", "-X", "-q", "-v", "ON_ERROR_STOP=0"], this.pg.env(passfile.path));
      const exit = await feedTool(tool, sql, new PsqlGuard(key));
      if (exit.code !== 0) throw pgToolFailure("RESTORE_FAILED", "psql (globals)", exit, passfile.secrets);
      return stderrLines(exit, passfile.secrets);
    } finally {
      await passfile.remove();
    }
  }

  restoreDatabase(dump: Readable, target: PostgresConnection, opts: RestoreOptions): Promise<RestoreResult> {
    return this.pg.restore(dump, target, { ...opts, format: "custom", codec: "none" });
  }
}
