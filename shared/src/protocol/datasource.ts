import { z } from "zod";
import { Id } from "../ids.js";

/**
 * Names that reach a dump tool are data, never options: a leading `-` could be read as a flag, `=` or
 * a URI prefix turns a libpq dbname into a connection string, and control characters have no place
 * in a host, user or database name.
 */
const inertName = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !s.startsWith("-"), "must not start with '-'")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters");

/** A path on the agent's host: absolute, so it never depends on the service's working directory. */
export const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith("/"), "must be an absolute path")
  .refine((p) => !/[\u0000-\u001f\u007f]/.test(p), "must not contain control characters");

const host = inertName.refine((s) => !/[\s=/]/.test(s) || s.startsWith("/"), "must be a host name, an IP address or a socket directory");
const plainDatabase = inertName.refine((s) => !s.includes("=") && !/^[a-z]+:\/\//i.test(s), "must be a plain database name");

/**
 * `database: "*"` on a PostgreSQL or MySQL datasource: the whole server in one job (every database
 * but the templates and the server's own, and the globals), one artifact (docs/decisions.md, "A whole
 * server in one job"). Only those two engines take it; a database literally named `*` cannot be a
 * single-database datasource's.
 */
export const WHOLE_SERVER = "*";

/** A database name that reaches a tool, never `*` (a restore's rename target, a MongoDB database). */
export const DatabaseName = plainDatabase.refine((s) => s !== WHOLE_SERVER, "must name one database ('*' means the whole server, only as a PostgreSQL or MySQL datasource's database)");

/**
 * TLS to the database server, in libpq's `sslmode` words (the MySQL and MongoDB engines map them to
 * their own flags). `verify-ca` / `verify-full` check the server against `caFile` (or the system's
 * CAs when absent); `disable` never negotiates TLS.
 */
export const TlsMode = z.enum(["disable", "prefer", "require", "verify-ca", "verify-full"]);
export type TlsMode = z.infer<typeof TlsMode>;
export const TlsSettings = z
  .object({ mode: TlsMode, caFile: AbsolutePath.optional() })
  .strict()
  .refine((t) => !(t.mode === "disable" && t.caFile), "caFile makes no sense with mode 'disable'");
export type TlsSettings = z.infer<typeof TlsSettings>;

/**
 * The three ways to authenticate (README.md, "Engines"): a password by value (sealed on the agent, masked
 * everywhere else), a `passwordFile` the agent reads at each run (the operator's secret manager owns
 * it; its first line is the password), or neither (peer or trust authentication).
 */
const credentials = {
  password: z.string().max(1024).optional(),
  passwordFile: AbsolutePath.optional(),
};
const oneSecret = (c: { password?: string | undefined; passwordFile?: string | undefined }) => !(c.password !== undefined && c.passwordFile !== undefined);
const ONE_SECRET = "give either password or passwordFile, not both";

/**
 * A hot standby to dump from (issue 19): the backup reads the standby and spares the primary. The
 * user, password and TLS are the datasource's (a streaming standby has the primary's roles); the
 * primary (`host`, `port`) keeps the health checks, the drill's scratch database and restores.
 * A preflight warns when the standby replays more than `maxLagSeconds` behind.
 */
export const PostgresStandby = z
  .object({ host, port: z.number().int().min(1).max(65535).default(5432), maxLagSeconds: z.number().int().min(1).max(604_800).default(300) })
  .strict();
export type PostgresStandby = z.infer<typeof PostgresStandby>;

export const PostgresConnection = z
  .object({
    host,
    port: z.number().int().min(1).max(65535).default(5432),
    database: plainDatabase,
    username: inertName,
    ...credentials,
    tls: TlsSettings.optional(),
    standby: PostgresStandby.optional(),
  })
  .strict()
  .refine(oneSecret, ONE_SECRET);
export type PostgresConnection = z.infer<typeof PostgresConnection>;

export const MysqlConnection = z
  .object({ host, port: z.number().int().min(1).max(65535).default(3306), database: plainDatabase, username: inertName, ...credentials, tls: TlsSettings.optional() })
  .strict()
  .refine(oneSecret, ONE_SECRET);
export type MysqlConnection = z.infer<typeof MysqlConnection>;

/** A database file; the agent reads it through SQLite's online backup API, never by copying the file. */
export const SqliteConnection = z.object({ path: AbsolutePath }).strict();
export type SqliteConnection = z.infer<typeof SqliteConnection>;

/** A picomatch glob relative to the folder (`logs/**`, `*.tmp`); never absolute, never climbing out. */
export const FileGlob = z
  .string()
  .min(1)
  .max(1024)
  .refine((g) => !g.startsWith("/") && !g.split("/").includes(".."), "must be relative to the folder, without '..'")
  .refine((g) => !/[\u0000-\u001f\u007f]/.test(g), "must not contain control characters");

export const FilesConnection = z
  .object({ path: AbsolutePath, include: z.array(FileGlob).max(200).optional(), exclude: z.array(FileGlob).max(200).optional() })
  .strict();
export type FilesConnection = z.infer<typeof FilesConnection>;

export const MongoConnection = z
  .object({
    host,
    port: z.number().int().min(1).max(65535).default(27017),
    /** Absent: every database the user can read. */
    database: DatabaseName.optional(),
    username: inertName.optional(),
    authDatabase: DatabaseName.optional(),
    ...credentials,
    tls: TlsSettings.optional(),
  })
  .strict()
  .refine(oneSecret, ONE_SECRET);
export type MongoConnection = z.infer<typeof MongoConnection>;

export const Engine = z.enum(["postgres", "mysql", "sqlite", "files", "mongodb"]);
export type Engine = z.infer<typeof Engine>;

/** Each engine's connection schema: the one place that says which connection an engine takes. */
export const CONNECTION_SCHEMAS = {
  postgres: PostgresConnection,
  mysql: MysqlConnection,
  sqlite: SqliteConnection,
  files: FilesConnection,
  mongodb: MongoConnection,
} as const;
export type ConnectionOf<E extends Engine> = z.infer<(typeof CONNECTION_SCHEMAS)[E]>;
export type DatasourceConnection = ConnectionOf<Engine>;

/** Any engine's connection (for answers that show one; requests validate against their engine's). */
export const DatasourceConnection = z.union([PostgresConnection, MysqlConnection, MongoConnection, SqliteConnection, FilesConnection]);

/** A run longer than this is killed and fails RUN_TIMEOUT, so one hung dump never blocks the queue. */
export const MaxDurationMinutes = z.number().int().min(1).max(10_080);

/**
 * How gently the datasource's dump, codec and restore tools run on its host (issue 19): CPU niceness
 * 0-19 (`nice`) and the I/O class (`ionice`: best-effort with a level 0-7, or idle, which gets the
 * disk only when nothing else wants it). Only ever lower than the agent's own: raising a priority
 * needs root. Absent: the agent's defaults (its config's toolNice / toolIoClass / toolIoLevel).
 */
export const ToolPriority = z
  .object({
    nice: z.number().int().min(0).max(19).optional(),
    ioClass: z.enum(["best-effort", "idle"]).optional(),
    ioLevel: z.number().int().min(0).max(7).optional(),
  })
  .strict()
  .refine((p) => !(p.ioClass === "idle" && p.ioLevel !== undefined), { path: ["ioLevel"], message: "the idle I/O class has no level: drop ioLevel or use best-effort" })
  .refine((p) => p.nice !== undefined || p.ioClass !== undefined || p.ioLevel !== undefined, { message: "set nice, ioClass or ioLevel (or leave priority out for the agent's defaults)" });
export type ToolPriority = z.infer<typeof ToolPriority>;

/** `nice 10, I/O class best-effort 7`: for the run's log and the console. */
export function describePriority(p: ToolPriority): string {
  const parts: string[] = [];
  if ((p.nice ?? 0) > 0) parts.push(`nice ${p.nice}`);
  if (p.ioClass === "idle") parts.push("I/O class idle");
  else if (p.ioClass !== undefined || p.ioLevel !== undefined) parts.push(`I/O class best-effort ${p.ioLevel ?? 4}`);
  return parts.join(", ") || "unchanged";
}

const common = {
  datasourceId: Id,
  name: z.string().min(1).max(200),
  maxDurationMinutes: MaxDurationMinutes.default(360),
  priority: ToolPriority.optional(),
};

function configOf<E extends Engine>(engine: E) {
  return z.object({ ...common, engine: z.literal(engine), connection: CONNECTION_SCHEMAS[engine] }).strict();
}

/** A datasource as both sides know it; the agent alone keeps the password. */
export const DatasourceConfig = z.discriminatedUnion("engine", [configOf("postgres"), configOf("mysql"), configOf("sqlite"), configOf("files"), configOf("mongodb")]);
export type DatasourceConfig = z.infer<typeof DatasourceConfig>;
export const MAX_DURATION_MINUTES = common.maxDurationMinutes;

/**
 * What becomes of the stored password when the new connection carries none: kept (a form that never
 * saw it sends it back without one), or removed (peer or trust authentication from now on). A
 * connection naming a `passwordFile` always drops the stored password: the two never go together.
 */
export const StoredPassword = z.enum(["keep", "remove"]);
export type StoredPassword = z.infer<typeof StoredPassword>;

function updateOf<E extends Engine>(engine: E) {
  return z
    .object({
      ...common,
      engine: z.literal(engine),
      connection: CONNECTION_SCHEMAS[engine],
      /** Absent: the stored value stays. */
      maxDurationMinutes: MaxDurationMinutes.optional(),
      /** Absent: the stored value stays; null: back to the agent's defaults. */
      priority: ToolPriority.nullable().optional(),
      storedPassword: StoredPassword.default("keep"),
      /** Connect with the new config before saving it; a failed test saves nothing and answers the engine's error. */
      test: z.boolean().default(false),
    })
    .strict();
}

/**
 * `updateDatabaseConfig`: the datasource's new config, whole but for its password (see
 * `StoredPassword`). The engine never changes: a config for another engine is refused.
 */
export const DatasourceConfigUpdate = z.discriminatedUnion("engine", [updateOf("postgres"), updateOf("mysql"), updateOf("sqlite"), updateOf("files"), updateOf("mongodb")]);
export type DatasourceConfigUpdate = z.infer<typeof DatasourceConfigUpdate>;

export const REDACTED = "********";

/** The copy the control plane may keep and show: the password replaced by a fixed mask. */
export function redactConnection<C extends object>(connection: C): C {
  if (!("password" in connection) || connection.password === undefined) return connection;
  return { ...connection, password: REDACTED };
}

/** Whether a connection is a whole server's (`database: "*"`, PostgreSQL and MySQL only). */
export function isWholeServer(connection: unknown): boolean {
  return typeof connection === "object" && connection !== null && "host" in connection && (connection as { database?: unknown }).database === WHOLE_SERVER;
}

/** What a connection points at, for messages and logs: the database's name or the path. */
export function connectionLabel(connection: DatasourceConnection): string {
  if (isWholeServer(connection) && "host" in connection) return `the whole server ${connection.host}:${connection.port}`;
  if ("database" in connection && connection.database) return connection.database;
  if ("path" in connection) return connection.path;
  return `${connection.host}:${connection.port}`;
}
