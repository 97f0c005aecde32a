import { assertOptionsFitDatasource, type BackupOptions, type Codec, type DumpFormat, ENGINE_FORMATS, type Engine, isWholeServer, SERVER_FORMAT } from "@holdfast/shared";

/**
 * Whether the datasource takes an option: asked of the shared rule the control plane refuses by, not a
 * copy of it. `connection` says whether it is a whole server (database "*"), which takes other options.
 */
export function engineTakes(engine: Engine, probe: BackupOptions, connection?: unknown): boolean {
  try {
    assertOptionsFitDatasource(engine, connection, probe);
    return true;
  } catch {
    return false;
  }
}

/** The formats a datasource writes: a whole server's is the server format alone. */
export const formatsOf = (engine: Engine, connection?: unknown): readonly DumpFormat[] => (isWholeServer(connection) ? [SERVER_FORMAT] : ENGINE_FORMATS[engine]);

/** What a "back up now" form holds, shaped as `StartBackupBody` so the schema's errors land on their fields. */
export interface BackupInputs {
  destinationIds: string[];
  options: {
    format: DumpFormat;
    compression: { codec: Codec; level: number | "" };
    tables: { include: string[]; exclude: string[] };
    schemas: { include: string[]; exclude: string[] };
    /** A whole server's databases (patterns). */
    databases: { include: string[]; exclude: string[] };
    /** schemaOnly and dataOnly exclude each other: one choice. */
    content: "all" | "schemaOnly" | "dataOnly";
    globals: boolean;
    encryption: { recipient: string };
    verify: boolean;
    maxFileSizeMb: number | "";
  };
}

export function blankBackupInputs(engine: Engine, destinationIds: string[], connection?: unknown): BackupInputs {
  return {
    destinationIds,
    options: {
      format: formatsOf(engine, connection)[0]!,
      compression: { codec: "gzip", level: "" },
      tables: { include: [], exclude: [] },
      schemas: { include: [], exclude: [] },
      databases: { include: [], exclude: [] },
      content: "all",
      // A whole server takes its globals unless told not to.
      globals: isWholeServer(connection),
      encryption: { recipient: "" },
      verify: false,
      maxFileSizeMb: "",
    },
  };
}

const patterns = (p: { include: string[]; exclude: string[] }) =>
  p.include.length + p.exclude.length === 0 ? undefined : { ...(p.include.length ? { include: p.include } : {}), ...(p.exclude.length ? { exclude: p.exclude } : {}) };

/** The options as the API takes them: only what was chosen, nothing the datasource does not take. */
export function backupOptionsBody(engine: Engine, o: BackupInputs["options"], connection?: unknown): BackupOptions {
  if (isWholeServer(connection)) return wholeServerBody(o);
  const options: BackupOptions = { format: o.format };
  if (o.compression.codec !== "gzip" || o.compression.level !== "")
    options.compression = { codec: o.compression.codec, ...(o.compression.level === "" || o.compression.codec === "none" ? {} : { level: o.compression.level }) };
  const tables = patterns(o.tables);
  if (tables && engineTakes(engine, { tables })) options.tables = tables;
  const schemas = patterns(o.schemas);
  if (schemas && engineTakes(engine, { schemas })) options.schemas = schemas;
  if (o.content !== "all") options[o.content] = true;
  if (o.globals && engineTakes(engine, { globals: true })) options.globals = true;
  if (o.encryption.recipient.trim()) options.encryption = { recipient: o.encryption.recipient.trim() };
  if (o.verify) options.verify = true;
  if (o.maxFileSizeMb !== "") options.maxFileSizeMb = o.maxFileSizeMb;
  return options;
}

/** A whole server's: its databases, its globals only when left out, no tables, schemas or drill. */
function wholeServerBody(o: BackupInputs["options"]): BackupOptions {
  const options: BackupOptions = {};
  if (o.compression.codec !== "gzip" || o.compression.level !== "")
    options.compression = { codec: o.compression.codec, ...(o.compression.level === "" || o.compression.codec === "none" ? {} : { level: o.compression.level }) };
  const databases = patterns(o.databases);
  if (databases) options.databases = databases;
  if (o.content !== "all") options[o.content] = true;
  if (!o.globals) options.globals = false;
  if (o.encryption.recipient.trim()) options.encryption = { recipient: o.encryption.recipient.trim() };
  if (o.maxFileSizeMb !== "") options.maxFileSizeMb = o.maxFileSizeMb;
  return options;
}
