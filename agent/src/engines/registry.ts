import { HoldfastError, type Engine as EngineName } from "@holdfast/shared/protocol";
import { PostgresEngine } from "./postgres/engine.js";
import { MysqlEngine } from "./mysql/engine.js";
import { MongoEngine } from "./mongodb/engine.js";
import { SqliteEngine } from "./sqlite/engine.js";
import { FilesEngine } from "./files/engine.js";
import type { Engine, EngineRegistry } from "./types.js";

export interface EngineOptions {
  /** Where engines put their short-lived credential files (0700 dirs, 0600 files). */
  tmpDir?: string;
}

/** Every engine this build of the agent has; preflight reports a missing tool, not a missing engine. */
export function defaultEngines(opts: EngineOptions = {}): EngineRegistry {
  const tmp = opts.tmpDir ? { tmpDir: opts.tmpDir } : {};
  return {
    postgres: new PostgresEngine(tmp),
    mysql: new MysqlEngine(tmp),
    mongodb: new MongoEngine(tmp),
    sqlite: new SqliteEngine(tmp),
    files: new FilesEngine(tmp),
  };
}

/** The datasource's engine, or 422 UNSUPPORTED_DATABASE_TYPE. */
export function engineFor(engines: EngineRegistry, name: EngineName): Engine {
  // The registry pairs each engine with its own connection type; the datasource's engine name picked this one.
  const engine = engines[name] as Engine | undefined;
  if (!engine) throw new HoldfastError("UNSUPPORTED_DATABASE_TYPE", `This agent has no ${name} engine`, { engine: name });
  return engine;
}
