import { HoldfastError, type Engine as EngineName } from "@holdfast/shared/protocol";
import { PostgresEngine } from "./postgres/engine.js";
import { MysqlEngine } from "./mysql/engine.js";
import { MongoEngine } from "./mongodb/engine.js";
import { SqliteEngine } from "./sqlite/engine.js";
import { FilesEngine } from "./files/engine.js";
import type { Engine, EngineRegistry } from "./types.js";
import { WholeServerEngine } from "./whole-server.js";
import { PostgresServer } from "./postgres/whole-server.js";
import { MysqlServer } from "./mysql/whole-server.js";

export interface EngineOptions {
  /** Where engines put their short-lived credential files (0700 dirs, 0600 files). */
  tmpDir?: string;
  /** Where PostgreSQL client majors live (`<root>/<major>/bin/`); /usr/lib/postgresql by default. */
  pgBinRoot?: string;
}

/**
 * Every engine this build of the agent has; preflight reports a missing tool, not a missing engine.
 * PostgreSQL and MySQL also take a whole server (`database: "*"`, whole-server.ts): such a connection
 * goes to their ServerDialect, any other to the engine as it is.
 */
export function defaultEngines(opts: EngineOptions = {}): EngineRegistry {
  const tmp = opts.tmpDir ? { tmpDir: opts.tmpDir } : {};
  const postgres = new PostgresEngine({ ...tmp, ...(opts.pgBinRoot ? { pgBinRoot: opts.pgBinRoot } : {}) });
  const mysql = new MysqlEngine(tmp);
  return {
    postgres: new WholeServerEngine(postgres, new PostgresServer(postgres)),
    mysql: new WholeServerEngine(mysql, new MysqlServer(mysql)),
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
