import type { Readable } from "node:stream";
import type { Engine as EngineName, PostgresConnection } from "@holdfast/shared";

export interface ConnectionTestResult {
  latencyMs: number;
  serverVersion: string;
  databaseSizeBytes: number | null;
  /** `server_version_num` (e.g. 160004), when the server reported it. */
  serverVersionNum?: number | null;
}

export interface DatabaseInfo {
  name: string;
  sizeBytes: number | null;
}

/**
 * A running dump. `stdout` is the plain dump; `done` settles after the tool exited (and its
 * temporary credentials are gone): it rejects with DUMP_FAILED (details.stderr, redacted) on a
 * non-zero exit, so a failed dump can never pass for a complete one.
 */
export interface DumpHandle {
  stdout: Readable;
  done: Promise<void>;
  /** Stops the tool (and anything it started), e.g. on cancel or when the pipeline behind it failed; false if it was no longer running. */
  abort(): boolean;
  /** After `done` resolved: what the tool wrote on stderr, redacted, one entry a line (warnings of a successful dump). */
  warnings?(): string[];
}

export interface Engine {
  readonly engine: EngineName;
  /** The dump tool's name, as preflight reports it (`pg_dump`). */
  readonly toolName: string;
  /** The dump tool's version line, or null when it is not installed. */
  toolVersion(): Promise<string | null>;
  testConnection(connection: PostgresConnection): Promise<ConnectionTestResult>;
  dump(connection: PostgresConnection): Promise<DumpHandle>;
  /** The databases the connection's credentials can see, with their sizes when readable. */
  listDatabases(connection: PostgresConnection): Promise<DatabaseInfo[]>;
}

export type EngineRegistry = Partial<Record<EngineName, Engine>>;
