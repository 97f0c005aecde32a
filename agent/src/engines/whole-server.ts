import { performance } from "node:perf_hooks";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError, isWholeServer, SERVER_FORMAT, type MysqlConnection, type PostgresConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { createDecoder, type CodecTools } from "../pipeline/codec.js";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";
import { startDump, stoppedError } from "./dump-handle.js";
import { restoreStageError, targetNotEmpty } from "./restore-target.js";
import type { ConnectionTestResult, DatabaseInfo, DumpHandle, DumpHints, Engine, Fingerprint, PreflightIssue, RestoreOptions, RestoreResult, ScratchTarget } from "./types.js";
import { databaseMember, GLOBALS_MEMBER, INDEX_NAME, MANIFEST_NAME, readServerTar, SERVER_PART_BYTES, ServerTarWriter, type MemberDigest, type ServerIndex, type ServerManifest } from "./whole-server-tar.js";

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
  /** The connection test of a whole server: its version and the size of its databases. */
  testServer(connection: C): Promise<ConnectionTestResult>;
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

/**
 * A database pattern as a regular expression: `*` any run of characters, `?` one, `[a-z]` / `[!a-z]`
 * one of a class, `{a,b}` either, `\x` the character x itself; everything else literal. Not picomatch: a database name is not a
 * path, and its `*` must cross a `/` too. A pattern that does not parse matches only itself.
 */
export function databaseGlob(pattern: string): RegExp {
  let re = "";
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\" && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    else if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else if (ch === "[" && pattern.indexOf("]", i + 2) !== -1) {
      const end = pattern.indexOf("]", i + 2);
      const body = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
      re += body.startsWith("!") ? `[^${body.slice(1)}]` : body.startsWith("^") ? `[\\${body}]` : `[${body}]`;
      i = end;
    } else if (ch === "{") {
      depth += 1;
      re += "(?:";
    } else if (ch === "}" && depth > 0) {
      depth -= 1;
      re += ")";
    } else if (ch === "," && depth > 0) re += "|";
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  try {
    if (depth === 0) return new RegExp(`^${re}$`, "s");
  } catch {
    // an odd class: the pattern is a name
  }
  return new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`, "s");
}

/** A database pattern matches a name equal to it, or one its glob matches. */
export function databaseMatches(name: string, pattern: string): boolean {
  return name === pattern || databaseGlob(pattern).test(name);
}

/** The names an include/exclude pair keeps, in the given order; no include keeps everything. */
export function selectDatabases(names: readonly string[], patterns: { include?: string[] | undefined; exclude?: string[] | undefined } | undefined): string[] {
  const include = patterns?.include ?? [];
  const exclude = patterns?.exclude ?? [];
  return names.filter((n) => (include.length === 0 || include.some((p) => databaseMatches(n, p))) && !exclude.some((p) => databaseMatches(n, p)));
}

function noneMatched(where: "server" | "backup", available: string[], patterns: unknown): HoldfastError {
  const what = where === "server" ? "on the server" : "in the backup";
  const list = available.length === 0 ? "none" : available.slice(0, 20).join(", ") + (available.length > 20 ? ", ..." : "");
  return new HoldfastError("NO_DATABASE_MATCHED", `options.databases matches no database ${what} (${what}: ${list})`, {
    field: "options.databases",
    patterns,
    available: available.slice(0, 100),
  });
}

/** The options each database's own dump runs with: the engine's best format, whole, no drill, no encryption (the tar is encrypted as one). */
function memberOptions(options: ResolvedBackupOptions, format: "custom" | "plain"): ResolvedBackupOptions {
  return {
    format,
    codec: options.codec,
    level: options.level,
    tables: { include: [], exclude: [] },
    schemas: { include: [], exclude: [] },
    schemaOnly: options.schemaOnly,
    dataOnly: options.dataOnly,
    globals: false,
  };
}

export interface WholeServerOptions {
  /** The entries' size in the tar (whole-server-tar.ts); tests make it small to cut members in several. */
  partBytes?: number;
}

/**
 * A whole server's dump as one stream: the database list read now, the index, the globals, one
 * database at a time through the engine's own dump, the manifest. Any member's failure fails it all:
 * a backup missing a database never passes for the server's.
 */
export function dumpWholeServer<C extends ServerConnection>(dialect: ServerDialect<C>, connection: C, options: ResolvedBackupOptions, hints: DumpHints, opts: WholeServerOptions = {}): DumpHandle {
  const tar = new ServerTarWriter(opts.partBytes ?? SERVER_PART_BYTES);
  let current: DumpHandle | null = null;
  let names: string[] = [];
  const handle = startDump({
    produce: async (run) => {
      const server = await dialect.describe(connection);
      const all = server.databases.map((d) => d.name);
      names = selectDatabases(all, options.databases);
      if (names.length === 0) throw noneMatched("server", all, options.databases ?? {});
      const chosen = names.map((name) => server.databases.find((d) => d.name === name)!);
      const packed = pipeline(tar.stream, run.out, { end: false });
      packed.catch(() => {});
      const member = async (name: string, start: () => Promise<DumpHandle>): Promise<MemberDigest> => {
        if (run.stopped) throw stoppedError();
        const dump = await start();
        current = dump;
        if (run.stopped) dump.abort();
        const digest = await tar.writeMember(name, dump.stdout);
        await dump.done;
        current = null;
        for (const line of dump.warnings?.() ?? []) run.warnings.push(`${name}: ${line}`);
        return digest;
      };

      const globals = options.globals ? await dialect.dumpGlobals({ ...connection }, hints) : { skipped: "options.globals is false" };
      const skipped = "skipped" in globals ? globals.skipped : undefined;
      if (skipped !== undefined && options.globals) run.warnings.push(`globals: not in this backup: ${skipped}`);
      const base = {
        holdfastServer: 1 as const,
        engine: dialect.engine,
        serverVersion: server.serverVersion.slice(0, 500),
        createdAt: new Date().toISOString(),
        ...(skipped !== undefined ? { globalsSkipped: skipped.slice(0, 500) } : {}),
      };
      const planned = chosen.map((d) => ({ name: d.name, member: databaseMember(d.name, dialect.memberExt), format: dialect.memberFormat, properties: d.properties }));
      const index: ServerIndex = { ...base, globals: skipped === undefined ? { member: GLOBALS_MEMBER } : null, databases: planned };
      await tar.writeJson(INDEX_NAME, index);

      let globalsDigest: MemberDigest | null = null;
      if (!("skipped" in globals)) globalsDigest = await member(GLOBALS_MEMBER, async () => globals);
      const databases: ServerManifest["databases"] = [];
      for (const db of planned) {
        const digest = await member(db.member, () => dialect.dumpDatabase({ ...connection, database: db.name }, memberOptions(options, dialect.memberFormat), hints));
        databases.push({ ...db, sizeBytes: digest.sizeBytes, sha256: digest.sha256, parts: digest.parts });
      }
      const manifest: ServerManifest = {
        ...base,
        globals: globalsDigest ? { member: GLOBALS_MEMBER, sizeBytes: globalsDigest.sizeBytes, sha256: globalsDigest.sha256, parts: globalsDigest.parts } : null,
        databases,
      };
      await tar.writeJson(MANIFEST_NAME, manifest);
      tar.finalize();
      await packed;
    },
    onAbort: () => {
      current?.abort();
      tar.destroy(stoppedError());
    },
    failure: (err, stopped) => {
      tar.destroy();
      // After abort() a torn-down stream's own error is the stop; a member's DUMP_FAILED says which tool stopped.
      return stopped && !(err instanceof HoldfastError) ? stoppedError() : err;
    },
  });
  return { ...handle, databases: () => names };
}

interface RestorePlan {
  index: ServerIndex;
  /** Source name to target name, for the databases this restore takes. */
  targets: Map<string, string>;
  /** Targets that do not exist yet: created before their restore. */
  missing: Set<string>;
  /** A chosen database's member to its name. */
  byMember: Map<string, string>;
}

/** A restore's target names, each checked: renames name only databases the restore takes, and no two land in one. */
function targetsOf(selected: string[], rename: Record<string, string> | undefined): Map<string, string> {
  const unknown = Object.keys(rename ?? {}).filter((k) => !selected.includes(k));
  if (unknown.length > 0) {
    throw new HoldfastError("VALIDATION_FAILED", `options.rename names databases this restore does not take: ${unknown.slice(0, 10).join(", ")}`, {
      issues: unknown.slice(0, 10).map((k) => ({ path: `options.rename.${k}`, message: "not among the backup's databases this restore takes" })),
    });
  }
  const targets = new Map(selected.map((name) => [name, rename?.[name] ?? name]));
  const seen = new Map<string, string>();
  for (const [source, target] of targets) {
    const other = seen.get(target);
    if (other !== undefined) {
      throw new HoldfastError("VALIDATION_FAILED", `Databases ${other} and ${source} would both be restored into ${target}`, { issues: [{ path: `options.rename.${source}`, message: `${other} is restored into ${target} too` }] });
    }
    seen.set(target, source);
  }
  return targets;
}

/**
 * Restores a whole server's tar into the server of `target` (a whole-server connection) in one pass
 * over the stream: the index decides which databases and where, and every target is checked before
 * anything is written (RESTORE_TARGET_NOT_EMPTY names all the non-empty ones); the globals only when
 * asked; each chosen database created when missing and restored by the engine's own restore; the
 * others read past. At the end every member read is checked against the manifest.
 */
export async function restoreWholeServer<C extends ServerConnection>(dialect: ServerDialect<C>, artifact: Readable, target: C, opts: RestoreOptions, tools: CodecTools): Promise<RestoreResult> {
  const started = performance.now();
  const warnings: string[] = [];
  const decoder = createDecoder(opts.codec, tools);
  // Filled by the index; a holder, since callbacks set it (a plain `let` would read as never assigned).
  const state: { plan: RestorePlan | null } = { plan: null };
  const restored: string[] = [];
  const consumer = (work: (input: Readable) => Promise<unknown>) => {
    const input = new PassThrough({ highWaterMark: PIPELINE_CHUNK_BYTES });
    // A consumer that stops reading (it failed) lets go of its input, so the reader never waits on it.
    const done = work(input).finally(() => input.destroy());
    done.catch(() => {});
    return { input, done };
  };
  const read = readServerTar(decoder.stream, {
    index: async (index) => {
      if (index.engine !== dialect.engine) throw new HoldfastError("VALIDATION_FAILED", `This is a ${index.engine} server's backup; the target is ${dialect.engine}`);
      const names = index.databases.map((d) => d.name);
      const selected = selectDatabases(names, opts.databases);
      if (selected.length === 0) throw noneMatched("backup", names, opts.databases ?? {});
      const targets = targetsOf(selected, opts.rename);
      const found = await dialect.inspectTargets(target, [...targets.values()]).catch((err: unknown) => {
        throw restoreStageError("target", err);
      });
      const full = [...targets.values()].filter((t) => (found.get(t) ?? 0) > 0);
      if (full.length > 0 && !opts.overwrite) {
        throw targetNotEmpty(`The target database${full.length > 1 ? "s" : ""} ${full.join(", ")} already hold${full.length > 1 ? "" : "s"} objects`, { databases: full });
      }
      state.plan = { index, targets, missing: new Set([...targets.values()].filter((t) => found.get(t) === null)), byMember: new Map(index.databases.filter((d) => targets.has(d.name)).map((d) => [d.member, d.name])) };
      if (!index.globals) warnings.push(`globals: not in this backup${index.globalsSkipped ? ` (${index.globalsSkipped})` : ""}`);
      else if (!opts.globals) warnings.push("globals: the backup carries the server's roles (users); not applied (restore with options.globals to apply them)");
    },
    member: async (member) => {
      const plan = state.plan;
      if (!plan) throw new HoldfastError("INTERNAL_ERROR", "A member before the index");
      if (member === GLOBALS_MEMBER) {
        if (!opts.globals) return null;
        return consumer(async (sql) => {
          const notes = await dialect.restoreGlobals(sql, target, opts).catch((err: unknown) => {
            throw restoreStageError("globals", err);
          });
          warnings.push(...notes.map((l) => `globals: ${l}`));
        });
      }
      const name = plan.byMember.get(member);
      if (name === undefined) return null;
      const into = plan.targets.get(name)!;
      const properties = plan.index.databases.find((d) => d.name === name)!.properties;
      return consumer(async (dump) => {
        // Created here, after the globals: the owner it is given may be one of their roles.
        if (plan.missing.has(into)) {
          const notes = await dialect.createDatabase(target, into, properties, { noOwner: opts.noOwner ?? false }).catch((err: unknown) => {
            throw restoreStageError("create", err);
          });
          warnings.push(...notes.map((l) => `${name}: ${l}`));
        }
        const result = await dialect.restoreDatabase(dump, { ...target, database: into }, { ...opts, format: dialect.memberFormat, codec: "none" }).catch((err: unknown) => {
          const e = restoreStageError("restore", err);
          throw new HoldfastError(e.code, `${name}${into !== name ? ` (into ${into})` : ""}: ${e.message}`, { ...e.details, database: name, target: into }, e.retryable);
        });
        restored.push(name);
        warnings.push(...result.warnings.map((l) => `${name}: ${l}`));
      });
    },
    manifest: async (manifest, seen) => checkManifest(state.plan!.index, manifest, seen),
  });
  const fed = pipeline(artifact, decoder.stream);
  const [readOutcome, fedOutcome] = await Promise.allSettled([read, fed]);
  // A reader that stopped early leaves a zstd child waiting on a stdin nobody closes.
  if (readOutcome.status === "rejected") decoder.abort();
  const decoded = await decoder.done.then(
    () => null,
    (err: unknown) => err,
  );
  if (readOutcome.status === "rejected") {
    // A cut or corrupt stream shows in the reader first; the decoder's own error says why.
    const err: unknown = readOutcome.reason;
    if (decoded && !(err instanceof HoldfastError && err.details?.stage !== "unpack")) throw restoreStageError("decompress", decoded);
    throw err instanceof HoldfastError ? err : restoreStageError("unpack", err);
  }
  if (decoded) throw restoreStageError("decompress", decoded);
  if (fedOutcome.status === "rejected") throw restoreStageError("decompress", fedOutcome.reason);
  const selected = state.plan ? [...state.plan.targets.keys()] : [];
  const missing = selected.filter((n) => !restored.includes(n));
  if (missing.length > 0) throw new HoldfastError("RESTORE_FAILED", `The backup's tar lacks the dumps of ${missing.join(", ")}`, { stage: "unpack", databases: missing });
  return { durationMs: Math.round(performance.now() - started), warnings };
}

/** Every member the manifest lists was read with its size and SHA-256, and nothing else was: the tar is what the dump wrote. */
function checkManifest(index: ServerIndex, manifest: ServerManifest, seen: MemberDigest[]): void {
  const listed = [...(manifest.globals ? [manifest.globals] : []), ...manifest.databases];
  const sameList = JSON.stringify(index.databases.map((d) => d.member)) === JSON.stringify(manifest.databases.map((d) => d.member));
  const bad = listed.filter((m) => {
    const s = seen.find((r) => r.member === m.member);
    return !s || s.sizeBytes !== m.sizeBytes || s.sha256 !== m.sha256 || s.parts !== m.parts;
  });
  const extra = seen.filter((s) => !listed.some((m) => m.member === s.member));
  if (!sameList || bad.length > 0 || extra.length > 0) {
    throw new HoldfastError("RESTORE_FAILED", "The backup's members do not match its manifest", {
      stage: "manifest",
      members: [...bad, ...extra].slice(0, 20).map((m) => m.member),
    });
  }
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
    const all = (await this.dialect.describe(connection)).databases.map((d) => d.name);
    const names = selectDatabases(all, options?.databases);
    if (names.length > 0) return { blockingIssues: [], warnings: [] };
    return { blockingIssues: [{ code: "NO_DATABASE_MATCHED", message: noneMatched("server", all, options?.databases ?? {}).message }], warnings: [] };
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
