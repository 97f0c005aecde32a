import type { Readable } from "node:stream";
import { HoldfastError, isWholeServer, SERVER_FORMAT, type MysqlConnection, type PostgresConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import type { CodecTools } from "../pipeline/codec.js";
import type { ConnectionTestResult, DatabaseInfo, DumpHandle, DumpHints, Engine, Fingerprint, PreflightIssue, RestoreOptions, RestoreResult, ScratchTarget } from "./types.js";
import { dumpWholeServer } from "./whole-server-dump.js";
import { noneMatched, selectDatabases } from "./whole-server-patterns.js";
import { restoreWholeServer } from "./whole-server-restore.js";

/*
 * A whole server in one job (database "*"): the dialect each engine gives (postgres/whole-server.ts,
 * mysql/whole-server.ts) and the engine that wraps them. The dump is whole-server-dump.ts, the
 * restore whole-server-restore.ts, the tar whole-server-tar.ts, the database patterns
 * whole-server-patterns.ts.
 */

export type ServerConnection = PostgresConnection | MysqlConnection;

/** One database of a server, as a whole-server backup takes it. */
export interface ServerDatabase {
  name: string;
  sizeBytes: number | null;
  /** What creating it again takes (PostgreSQL: encoding, collate, ctype, owner; MySQL: charset, collation). */
  properties: Record<string, string | null>;
}

/** What a whole-server backup needs of an engine: the parts that differ between PostgreSQL and MySQL. */
export interface ServerDialect<C extends ServerConnection> {
  readonly engine: "postgres" | "mysql";
  /** The engine's format for one database's dump in the tar, and its member's suffix. */
  readonly memberFormat: "custom" | "plain";
  readonly memberExt: ".dump" | ".sql";
  /** The connection test of a whole server: its version and the size of its databases (and a standby, when one is named, checked to be one). */
  testServer(connection: C): Promise<ConnectionTestResult>;
  /**
   * Where a backup reads the server: the list, the globals and each database. PostgreSQL's standby
   * when the datasource names one (standby.ts), so all of a backup comes from one server.
   */
  backupSource(connection: C): C;
  /** The preflight's warnings of the server a backup reads (a standby replaying too far behind). */
  preflightWarnings(connection: C): Promise<PreflightIssue[]>;
  /** The server's version and its databases, minus templates, the server's own and the drill's scratch databases. */
  describe(connection: C): Promise<{ serverVersion: string; databases: ServerDatabase[] }>;
  /** The globals' dump, or why this server's tools cannot take them. */
  dumpGlobals(connection: C, hints: DumpHints): Promise<DumpHandle | { skipped: string }>;
  /** One database (`connection.database`), in memberFormat, by the engine's own dump. */
  dumpDatabase(connection: C, options: ResolvedBackupOptions, hints: DumpHints): Promise<DumpHandle>;
  /** Objects in each named database of the target server; null for one that does not exist. Writes nothing. */
  inspectTargets(target: C, names: string[]): Promise<Map<string, number | null>>;
  /** Creates a database the restore needs, as the source had it where the target can; returns warnings. */
  createDatabase(target: C, name: string, properties: Record<string, string | null>, opts: { noOwner: boolean }): Promise<string[]>;
  /** Applies the globals' SQL to the target server; statement errors are warnings (a role that exists already). */
  restoreGlobals(sql: Readable, target: C, opts: RestoreOptions): Promise<string[]>;
  /** One database's dump into `target.database` (which exists), by the engine's own restore. */
  restoreDatabase(dump: Readable, target: C, opts: RestoreOptions): Promise<RestoreResult>;
}

export interface WholeServerOptions {
  /** The entries' size in the tar (whole-server-tar.ts); tests make it small to cut members in several. */
  partBytes?: number;
}

function notForWholeServer(what: string): HoldfastError {
  return new HoldfastError("FEATURE_NOT_AVAILABLE", `A whole-server datasource (database "*") has no ${what}: drill a datasource of one database instead`);
}

/**
 * An engine that also takes a whole server (`database: "*"`): such a connection goes to the dialect,
 * any other to the engine itself, untouched. The registry wraps PostgreSQL and MySQL in it.
 */
export class WholeServerEngine<C extends ServerConnection> implements Engine<C> {
  readonly engine: Engine<C>["engine"];
  readonly toolName: string;
  readonly dumpHeadChecked: boolean;
  readonly versionRule: Engine<C>["versionRule"];

  constructor(
    readonly inner: Engine<C> & { readonly codecTools: CodecTools },
    readonly dialect: ServerDialect<C>,
    private readonly opts: WholeServerOptions = {},
  ) {
    this.engine = inner.engine;
    this.toolName = inner.toolName;
    // A whole server's tar is the agent's: dump-head.ts has no rule for its format.
    this.dumpHeadChecked = inner.dumpHeadChecked === true;
    this.versionRule = inner.versionRule;
  }

  async preflight(connection: C, options?: ResolvedBackupOptions): Promise<{ blockingIssues: PreflightIssue[]; warnings: PreflightIssue[] }> {
    if (!isWholeServer(connection)) return this.inner.preflight ? this.inner.preflight(connection, options) : { blockingIssues: [], warnings: [] };
    // The list the backup will read, from where it will read it (a standby may not have a database yet).
    const [server, warnings] = await Promise.all([this.dialect.describe(this.dialect.backupSource(connection)), this.dialect.preflightWarnings(connection)]);
    const all = server.databases.map((d) => d.name);
    const names = selectDatabases(all, options?.databases);
    if (names.length > 0) return { blockingIssues: [], warnings };
    return { blockingIssues: [{ code: "NO_DATABASE_MATCHED", message: noneMatched("server", all, options?.databases ?? {}).message }], warnings };
  }

  toolVersion(serverMajor?: number | null): Promise<string | null> {
    return this.inner.toolVersion(serverMajor);
  }

  testConnection(connection: C): Promise<ConnectionTestResult> {
    return isWholeServer(connection) ? this.dialect.testServer(connection) : this.inner.testConnection(connection);
  }

  async dump(connection: C, options?: ResolvedBackupOptions, hints: DumpHints = {}): Promise<DumpHandle> {
    if (!isWholeServer(connection)) return this.inner.dump(connection, options, hints);
    if (options?.format !== SERVER_FORMAT) throw new HoldfastError("VALIDATION_FAILED", `A whole-server datasource writes the server format, not ${options?.format ?? "plain"}`);
    // Never `stdoutTo`: the members pass through the agent, which cuts them into the tar.
    return dumpWholeServer(this.dialect, connection, options, { ...(hints.serverMajor !== undefined ? { serverMajor: hints.serverMajor } : {}) }, this.opts);
  }

  async restore(artifact: Readable, target: C, opts: RestoreOptions): Promise<RestoreResult> {
    const server = opts.format === SERVER_FORMAT;
    if (server !== isWholeServer(target)) {
      artifact.destroy();
      throw new HoldfastError(
        "VALIDATION_FAILED",
        server ? 'A whole-server backup restores into a whole-server datasource (database "*") on the target server' : 'A whole-server datasource (database "*") takes whole-server backups only; restore this one into a datasource of one database',
        { format: opts.format },
      );
    }
    if (!server) return this.inner.restore(artifact, target, opts);
    return restoreWholeServer(this.dialect, artifact, target, opts, this.inner.codecTools);
  }

  async listDatabases(connection: C): Promise<DatabaseInfo[]> {
    if (!isWholeServer(connection)) return this.inner.listDatabases(connection);
    return (await this.dialect.describe(connection)).databases.map((d) => ({ name: d.name, sizeBytes: d.sizeBytes }));
  }

  async createScratch(source: C, drillId: string): Promise<ScratchTarget<C>> {
    if (isWholeServer(source) || !this.inner.createScratch) throw notForWholeServer("restore drill");
    return this.inner.createScratch(source, drillId);
  }

  async fingerprint(connection: C): Promise<Fingerprint> {
    if (isWholeServer(connection) || !this.inner.fingerprint) throw notForWholeServer("fingerprint");
    return this.inner.fingerprint(connection);
  }
}
