import { z } from "zod";
import { HoldfastError } from "../errors.js";
import { DatabaseName, isWholeServer, type Engine } from "./datasource.js";

/**
 * How a backup is taken. The default format stays `plain` (SQL text): it keeps the walking
 * skeleton's promise that any artifact restores with `gunzip | psql`, without Holdfast. `custom`
 * is what pg_restore wants (selective and parallel restore); `directory` dumps in parallel.
 */
export const DumpFormat = z.enum(["plain", "custom", "directory", "sqlite", "tar", "archive", "server"]);
export type DumpFormat = z.infer<typeof DumpFormat>;

/**
 * A whole-server datasource's one format (`database: "*"`): a tar of the globals, one dump per
 * database and a manifest (docs/decisions.md, "A whole server in one job"). Not in ENGINE_FORMATS: a
 * single database never takes it, a whole server takes nothing else.
 */
export const SERVER_FORMAT = "server" as const satisfies DumpFormat;

/**
 * The formats each engine writes, its default first. MySQL dumps SQL text; SQLite a consistent copy of
 * the database file (online backup API); files a tar stream; MongoDB `mongodump --archive`.
 */
export const ENGINE_FORMATS = {
  postgres: ["plain", "custom", "directory"],
  mysql: ["plain"],
  sqlite: ["sqlite"],
  files: ["tar"],
  mongodb: ["archive"],
} as const satisfies Record<Engine, readonly [DumpFormat, ...DumpFormat[]]>;

export const Codec = z.enum(["gzip", "zstd", "none"]);
export type Codec = z.infer<typeof Codec>;

/** Levels each codec accepts: gzip 1..9, zstd 1..19 (no --ultra), none has none. */
export const CODEC_LEVELS = { gzip: { min: 1, max: 9, default: 6 }, zstd: { min: 1, max: 19, default: 3 }, none: null } as const;

export const Compression = z
  .object({ codec: Codec, level: z.number().int().min(1).max(19).optional() })
  .strict()
  .refine((c) => {
    const range = CODEC_LEVELS[c.codec];
    if (c.level === undefined) return true;
    return range !== null && c.level >= range.min && c.level <= range.max;
  }, "level is outside the codec's range (gzip 1-9, zstd 1-19, none takes no level)");
export type Compression = z.infer<typeof Compression>;

/**
 * A table or schema pattern (pg_dump's own pattern syntax). It reaches pg_dump as ONE argv element
 * (`--table=<pattern>`), never through a shell; still, a leading `-`, NUL or a line break has no
 * business in a pattern and is refused here.
 */
export const DumpPattern = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !s.startsWith("-"), "must not start with '-'")
  .refine((s) => !/[\u0000\r\n]/.test(s), "must not contain NUL or a line break");

const Patterns = z.object({ include: z.array(DumpPattern).max(100).optional(), exclude: z.array(DumpPattern).max(100).optional() }).strict();

/**
 * Which databases of a whole server: a pattern is a database name or a glob over the names (`app_*`,
 * `{a,b}`, picomatch's syntax, as MySQL's table patterns); a name equal to the pattern always
 * matches. Empty: every database (the backup's) but the templates and the server's own.
 */
export const DatabasePatterns = Patterns;
export type DatabasePatterns = z.infer<typeof DatabasePatterns>;

/** A database's name as a pattern that matches it alone: its glob characters (and `\`) escaped with `\`. */
export function escapeDatabasePattern(name: string): string {
  return name.replace(/[\\*?[\]{},]/g, "\\$&");
}

/** age's bech32 alphabet: a recipient or identity is its prefix, then 58 of these (32 key bytes and a checksum). */
const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/**
 * An age X25519 public key (`age1...`). Its private half stays with the operator: the agent can
 * encrypt with it and never decrypt (docs/decisions.md, "Encryption"). The library checks the checksum; this is the shape.
 */
export const AgeRecipient = z.string().regex(new RegExp(`^age1[${BECH32}]{58}$`), "must be an age X25519 recipient (age1...)");

/**
 * An age X25519 private key (`AGE-SECRET-KEY-1...`), given at restore time and never stored. The
 * message names no part of it: a zod issue must not echo a secret into a response or a log.
 */
export const AgeIdentity = z.string().regex(new RegExp(`^AGE-SECRET-KEY-1[${BECH32.toUpperCase()}]{58}$`), "must be an age X25519 identity (AGE-SECRET-KEY-1...)");

export const Encryption = z.object({ recipient: AgeRecipient }).strict();

/** At most this many renames in one restore: more databases than any server has. */
const MAX_RENAMES = 1000;

/**
 * A whole-server restore's renames: a source database's name (as in the backup) to the target's. Two
 * sources never land in one target.
 */
export const DatabaseRenames = z
  .record(z.string().min(1).max(255), DatabaseName)
  .refine((r) => Object.keys(r).length <= MAX_RENAMES, `at most ${MAX_RENAMES} renames`)
  .refine((r) => new Set(Object.values(r)).size === Object.values(r).length, "two databases cannot be restored into one target");

/**
 * `source=target` pairs (the CLIs' `--rename`) as renames: split at the last `=`, since a target name
 * never holds one and a source's might. Checked by DatabaseRenames where it is used.
 */
export function renamesFromPairs(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.lastIndexOf("=");
      return at <= 0 ? [pair, ""] : [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/**
 * What a restore may be told: `overwrite` a non-empty target, the age `identity` of an encrypted
 * artifact (used for this restore only, never stored or logged), and whether to apply the cluster
 * `globals` a plain PostgreSQL dump or a whole-server backup carries (roles, tablespaces, users; off
 * by default). A whole-server backup's restore also takes `databases` (which of the backup's, all by
 * default) and `rename` (source name to target name; the others keep their names).
 */
export const RestoreRequestOptions = z
  .object({ overwrite: z.boolean().optional(), identity: AgeIdentity.optional(), globals: z.boolean().optional(), databases: DatabasePatterns.optional(), rename: DatabaseRenames.optional() })
  .strict();
export type RestoreRequestOptions = z.infer<typeof RestoreRequestOptions>;
export type Encryption = z.infer<typeof Encryption>;

export const BackupOptions = z
  .object({
    format: DumpFormat.optional(),
    compression: Compression.optional(),
    tables: Patterns.optional(),
    schemas: Patterns.optional(),
    schemaOnly: z.boolean().optional(),
    dataOnly: z.boolean().optional(),
    /** Roles and tablespaces via `pg_dumpall --globals-only`, at the head of a plain dump (docs/decisions.md); a whole server's are taken unless `false`. */
    globals: z.boolean().optional(),
    /** A whole-server datasource's choice of databases (include/exclude patterns), read against the server at each run. */
    databases: DatabasePatterns.optional(),
    /** age-encrypt the artifact on the agent, after compression (docs/decisions.md). */
    encryption: Encryption.optional(),
    /** Restore drill: after the backup the agent restores it into a scratch target and compares (docs/decisions.md, "Restore drill"). */
    verify: z.boolean().optional(),
    /** Deliver the artifact in parts of at most this many MiB (docs/decisions.md, "Split artifacts"). */
    maxFileSizeMb: z.number().int().min(1).max(10_000_000).optional(),
  })
  .strict()
  .refine((o) => !(o.schemaOnly && o.dataOnly), "schemaOnly and dataOnly exclude each other")
  .refine((o) => !o.globals || (o.format ?? "plain") === "plain" || o.format === SERVER_FORMAT, "globals are carried only in the plain format (and in a whole server's)");
export type BackupOptions = z.infer<typeof BackupOptions>;

/** The options with every default filled in: what the agent actually runs. */
export interface ResolvedBackupOptions {
  format: DumpFormat;
  codec: Codec;
  /** null for `none`. */
  level: number | null;
  tables: { include: string[]; exclude: string[] };
  schemas: { include: string[]; exclude: string[] };
  schemaOnly: boolean;
  dataOnly: boolean;
  globals: boolean;
  /** Absent when not encrypted, so the resolved options of older runs compare equal (lastCompletedRawSize). */
  encryption?: Encryption;
  /** Absent when the artifact is delivered whole. */
  maxFileSizeMb?: number;
  /** Absent when no drill follows the backup. */
  verify?: true;
  /** A whole server's databases (format `server`); absent for a single database, so its resolved options compare as before. */
  databases?: { include: string[]; exclude: string[] };
}

/**
 * Refuses options the datasource's engine cannot honour (VALIDATION_FAILED naming the option), so a
 * request never silently backs up something other than what was asked: a table filter on a folder,
 * globals on MySQL.
 */
export function assertOptionsFitEngine(engine: Engine, o: BackupOptions | undefined): void {
  const refuse = (path: string, message: string) => {
    throw new HoldfastError("VALIDATION_FAILED", `Invalid options: ${path}: ${message}`, { issues: [{ path: `options.${path}`, message }] });
  };
  const formats: readonly DumpFormat[] = ENGINE_FORMATS[engine];
  if (o?.format !== undefined && !formats.includes(o.format)) refuse("format", `the ${engine} engine writes ${formats.join(" or ")}`);
  const sql = engine === "postgres" || engine === "mysql";
  if (!sql && (o?.tables || o?.schemaOnly || o?.dataOnly)) refuse(o?.tables ? "tables" : o?.schemaOnly ? "schemaOnly" : "dataOnly", `not available for the ${engine} engine`);
  if (engine !== "postgres" && (o?.schemas || o?.globals)) refuse(o?.schemas ? "schemas" : "globals", `only the postgres engine has ${o?.schemas ? "schemas" : "cluster globals"}`);
}

/**
 * assertOptionsFitEngine, and what a whole-server datasource (`database: "*"`) changes: its format is
 * `server` alone, every database is dumped whole (no table or schema filters), no restore drill
 * (docs/decisions.md); `databases` is only a whole server's.
 */
export function assertOptionsFitDatasource(engine: Engine, connection: unknown, o: BackupOptions | undefined): void {
  const refuse = (path: string, message: string) => {
    throw new HoldfastError("VALIDATION_FAILED", `Invalid options: ${path}: ${message}`, { issues: [{ path: `options.${path}`, message }] });
  };
  if (!isWholeServer(connection)) {
    if (o?.databases) refuse("databases", 'only a whole-server datasource (database "*") chooses databases');
    if (o?.format === SERVER_FORMAT) refuse("format", 'the server format is a whole-server datasource\'s (database "*")');
    assertOptionsFitEngine(engine, o);
    return;
  }
  if (o?.format !== undefined && o.format !== SERVER_FORMAT) refuse("format", "a whole-server datasource writes the server format (one dump per database, in the engine's best format)");
  if (o?.tables || o?.schemas) refuse(o.tables ? "tables" : "schemas", "a whole-server backup takes every database whole; choose databases with options.databases");
  if (o?.verify) refuse("verify", "a whole-server backup has no restore drill; drill a datasource of one database instead");
  // The format and globals were judged above: a whole server's format is its own, MySQL's globals are its users.
  const { format: _format, globals: _globals, ...rest } = o ?? {};
  assertOptionsFitEngine(engine, rest);
}

/**
 * The options with every default filled in, the format defaulting to the engine's own. A whole server
 * (`wholeServer`) writes the server format, takes its globals unless told not to, and keeps its
 * database patterns.
 */
export function resolveBackupOptions(o: BackupOptions | undefined, engine: Engine = "postgres", wholeServer = false): ResolvedBackupOptions {
  const codec = o?.compression?.codec ?? "gzip";
  const range = CODEC_LEVELS[codec];
  return {
    format: wholeServer ? SERVER_FORMAT : (o?.format ?? ENGINE_FORMATS[engine][0]),
    codec,
    level: range === null ? null : (o?.compression?.level ?? range.default),
    tables: { include: o?.tables?.include ?? [], exclude: o?.tables?.exclude ?? [] },
    schemas: { include: o?.schemas?.include ?? [], exclude: o?.schemas?.exclude ?? [] },
    schemaOnly: o?.schemaOnly ?? false,
    dataOnly: o?.dataOnly ?? false,
    globals: o?.globals ?? wholeServer,
    ...(o?.encryption ? { encryption: { recipient: o.encryption.recipient } } : {}),
    ...(o?.maxFileSizeMb ? { maxFileSizeMb: o.maxFileSizeMb } : {}),
    ...(o?.verify ? { verify: true as const } : {}),
    ...(wholeServer ? { databases: { include: o?.databases?.include ?? [], exclude: o?.databases?.exclude ?? [] } } : {}),
  };
}

// A directory dump is packed as tar too; `.dir.tar` keeps it apart from a folder's `.tar`.
// A whole server's tar is `.server.tar`, apart from both.
const FORMAT_EXT: Record<DumpFormat, string> = { plain: ".sql", custom: ".dump", directory: ".dir.tar", sqlite: ".sqlite", tar: ".tar", archive: ".archive", server: ".server.tar" };
const CODEC_EXT: Record<Codec, string> = { gzip: ".gz", zstd: ".zst", none: "" };

/** The suffix of an age-encrypted artifact, after the codec's: `.sql.gz.age` is gzip, then age. */
export const ENCRYPTED_EXT = ".age";

/** `.sql.gz`, `.dump.zst`, `.tar`, `.sql.gz.age` ...: an artifact's format, codec and encryption, readable from its name alone. */
export function artifactExtension(format: DumpFormat, codec: Codec, encrypted = false): string {
  return FORMAT_EXT[format] + CODEC_EXT[codec] + (encrypted ? ENCRYPTED_EXT : "");
}

/**
 * Format and codec of an artifact from its file name (what a restore needs when only the name is
 * known, e.g. runs recorded before backupCompleted carried `format`); null for a name we never make.
 */
export function artifactKindOf(fileName: string): { format: DumpFormat; codec: Codec; encrypted: boolean } | null {
  const encrypted = fileName.endsWith(ENCRYPTED_EXT);
  const name = encrypted ? fileName.slice(0, -ENCRYPTED_EXT.length) : fileName;
  // Longest extension first: `.dir.tar` before `.tar`, `.sql.gz` before a codec-less `.gz` guess.
  const candidates = DumpFormat.options.flatMap((format) => Codec.options.map((codec) => ({ format, codec, ext: artifactExtension(format, codec) })));
  candidates.sort((a, b) => b.ext.length - a.ext.length);
  const hit = candidates.find((c) => name.endsWith(c.ext));
  return hit ? { format: hit.format, codec: hit.codec, encrypted } : null;
}

/** One slice of an artifact split at `maxFileSizeMb`: its place in the whole and its own SHA-256. */
export const ArtifactPart = z
  .object({ index: z.number().int().min(1), offset: z.number().int().min(0), sizeBytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
  .strict();
export type ArtifactPart = z.infer<typeof ArtifactPart>;

/** `<name>.part0001`...: zero-padded to at least four digits so a listing sorts them in order. */
export function partFileName(fileName: string, index: number, count: number): string {
  return `${fileName}.part${String(index).padStart(Math.max(4, String(count).length), "0")}`;
}
