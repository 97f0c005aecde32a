import { assertOptionsFitEngine, type BackupOptions, type Codec, type DumpFormat, ENGINE_FORMATS, type Engine } from "@holdfast/shared";

/** Whether the engine takes an option: asked of the shared rule the control plane refuses by, not a copy of it. */
export function engineTakes(engine: Engine, probe: BackupOptions): boolean {
  try {
    assertOptionsFitEngine(engine, probe);
    return true;
  } catch {
    return false;
  }
}

export const formatsOf = (engine: Engine): readonly DumpFormat[] => ENGINE_FORMATS[engine];

/** What a "back up now" form holds, shaped as `StartBackupBody` so the schema's errors land on their fields. */
export interface BackupInputs {
  destinationIds: string[];
  options: {
    format: DumpFormat;
    compression: { codec: Codec; level: number | "" };
    tables: { include: string[]; exclude: string[] };
    schemas: { include: string[]; exclude: string[] };
    /** schemaOnly and dataOnly exclude each other: one choice. */
    content: "all" | "schemaOnly" | "dataOnly";
    globals: boolean;
    encryption: { recipient: string };
    verify: boolean;
    maxFileSizeMb: number | "";
  };
}

export function blankBackupInputs(engine: Engine, destinationIds: string[]): BackupInputs {
  return {
    destinationIds,
    options: {
      format: formatsOf(engine)[0]!,
      compression: { codec: "gzip", level: "" },
      tables: { include: [], exclude: [] },
      schemas: { include: [], exclude: [] },
      content: "all",
      globals: false,
      encryption: { recipient: "" },
      verify: false,
      maxFileSizeMb: "",
    },
  };
}

const patterns = (p: { include: string[]; exclude: string[] }) =>
  p.include.length + p.exclude.length === 0 ? undefined : { ...(p.include.length ? { include: p.include } : {}), ...(p.exclude.length ? { exclude: p.exclude } : {}) };

/** The options as the API takes them: only what was chosen, nothing the engine does not take. */
export function backupOptionsBody(engine: Engine, o: BackupInputs["options"]): BackupOptions {
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
