import type { Readable } from "node:stream";
import type { Engine as EngineName, PostgresConnection } from "@holdfast/shared";

export interface ConnectionTestResult {
  latencyMs: number;
  serverVersion: string;
  databaseSizeBytes: number | null;
}

/**
 * A running dump. `stdout` is the plain dump; `done` settles after the tool exited (and its
 * temporary credentials are gone): it rejects with DUMP_FAILED (details.stderr, redacted) on a
 * non-zero exit, so a failed dump can never pass for a complete one.
 */
export interface DumpHandle {
  stdout: Readable;
  done: Promise<void>;
  /** Stops the tool, e.g. when the pipeline behind it failed; false if it was no longer running. */
  abort(): boolean;
}

export interface Engine {
  readonly engine: EngineName;
  /** The dump tool's version line, or null when it is not installed. */
  toolVersion(): Promise<string | null>;
  testConnection(connection: PostgresConnection): Promise<ConnectionTestResult>;
  dump(connection: PostgresConnection): Promise<DumpHandle>;
}

export type EngineRegistry = Partial<Record<EngineName, Engine>>;
