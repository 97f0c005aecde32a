import fs from "node:fs";
import path from "node:path";
import { CONNECTION_SCHEMAS, type DatasourceConnection, type Engine, HoldfastError, systemClock, validationError } from "@holdfast/shared/protocol";
import { z } from "zod";
import { requireDatasource } from "../store/datasources.js";
import { DB_FILE, openDatabase } from "../store/store.js";
import { refuseSharedFile } from "./read-identity-file.js";

const targetOf = <E extends Engine>(engine: E) =>
  // A datasource's config as `holdfast datasources show --json` gives it may carry its id and name too.
  z.object({ engine: z.literal(engine), connection: CONNECTION_SCHEMAS[engine], datasourceId: z.string().optional(), name: z.string().optional(), maxDurationMinutes: z.number().optional() }).strict();

/** `--to CONFIG`: the engine and its connection, with the schema of a datasource of that engine. */
export const RestoreTargetFile = z.discriminatedUnion("engine", [targetOf("postgres"), targetOf("mysql"), targetOf("sqlite"), targetOf("files"), targetOf("mongodb")]);

export interface TargetConfig {
  engine: Engine;
  connection: DatasourceConnection;
}

const invalid = (message: string, details: Record<string, unknown>) => new HoldfastError("VALIDATION_FAILED", message, details);

/**
 * Reads a restore target from a JSON file. Its password is best given as `passwordFile`; a file that
 * holds a `password` itself must be private to its owner (0600), like any secret file.
 */
export async function readTargetConfig(file: string): Promise<TargetConfig> {
  let text: string;
  let mode: number;
  try {
    mode = (await fs.promises.stat(file)).mode;
    text = await fs.promises.readFile(file, "utf8");
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code ?? "error";
    throw invalid(`The target config ${file} cannot be read (${errno})`, { file, errno });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw invalid(`The target config ${file} is not JSON`, { file });
  }
  const parsed = RestoreTargetFile.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error, `target config ${file}`);
  const { engine, connection } = parsed.data;
  if ("password" in connection && connection.password !== undefined) refuseSharedFile(file, mode, "The target config, which holds a password,", invalid);
  return { engine, connection };
}

/**
 * `--datasource ID`: a datasource this agent already stores (its password unsealed with the data
 * dir's key). The store is opened without the start-up recovery, so a running agent is not disturbed.
 */
export function storedTarget(dataDir: string, datasourceId: string): TargetConfig {
  if (!fs.existsSync(path.join(dataDir, DB_FILE))) throw invalid(`${dataDir} holds no agent database: pass the agent's --data-dir (or HOLDFAST_DATA_DIR)`, { dataDir });
  const store = openDatabase(dataDir, systemClock);
  try {
    const { engine, connection } = requireDatasource(store, datasourceId);
    return { engine, connection };
  } finally {
    store.close();
  }
}
