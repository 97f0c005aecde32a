import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError, type MongoConnection } from "@holdfast/shared/protocol";
import { createDecoder } from "../../pipeline/codec.js";
import { startDump } from "../dump-handle.js";
import { restoreStageError, targetNotEmpty } from "../restore-target.js";
import { spawnFilter, stderrLines, toolEnv, type FilterProcess } from "../spawn-tool.js";
import { requireToolVersion, toolVersionLine } from "../tool-version.js";
import { EngineBase, type EngineOptionsBase } from "../engine-base.js";
import type { ConnectionTestResult, DatabaseInfo, DumpHandle, Engine, RestoreOptions, RestoreResult } from "../types.js";
import type { ArchiveNamespace, ArchivePrelude } from "./archive-prelude.js";
import { buildMongodumpArgs, buildMongorestoreArgs } from "./args.js";
import { createConfigFile } from "./config-file.js";
import { ArchiveFeed } from "./archive-feed.js";
import { probePrelude } from "./probe.js";
import { mongoToolFailure } from "./tools.js";

export interface MongoEngineOptions extends EngineOptionsBase {
  /** Explicit tool paths (tests' stand-ins, odd installs); `mongodump` / `mongorestore` on PATH by default. */
  mongodumpPath?: string;
  mongorestorePath?: string;
  /** How long a connection test may wait for mongodump's first answer (its own server selection waits 30 s). */
  probeTimeoutMs?: number;
}

/** The server's own databases: not the operator's, never counted as a target's content. */
const SYSTEM_DBS = new Set(["admin", "config", "local"]);

/** `7.0.5` → 70005, as MySQL numbers versions; null if unreadable. */
export function mongoVersionNum(version: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? Number(m[1]) * 10_000 + Number(m[2]) * 100 + Number(m[3]) : null;
}

/** The operator's collections in a prelude: no system databases, no `system.*` collections. */
export function userNamespaces(prelude: ArchivePrelude): ArchiveNamespace[] {
  return prelude.namespaces.filter((n) => !SYSTEM_DBS.has(n.db) && !n.collection.startsWith("system."));
}

/**
 * MongoDB through the MongoDB Database Tools, when they are installed on the host (capability
 * gating: toolVersion() is null without mongodump, and preflight then reports TOOL_NOT_FOUND).
 * The agent has no MongoDB driver: what it needs to know about a server (version, collections,
 * sizes, whether a target is empty) it reads from the prelude mongodump writes before any data.
 * Untested end to end: no MongoDB server or tools can be installed where this was written.
 */
export class MongoEngine extends EngineBase<MongoEngineOptions> implements Engine<MongoConnection> {
  readonly engine = "mongodb" as const;
  readonly toolName = "mongodump";

  private get mongodump(): string {
    return this.opts.mongodumpPath ?? "mongodump";
  }

  private get mongorestore(): string {
    return this.opts.mongorestorePath ?? "mongorestore";
  }

  private probeRun() {
    return { mongodump: this.mongodump, tmpDir: this.tmpDir, timeoutMs: this.opts.probeTimeoutMs ?? 15_000 };
  }

  /** `mongodump version: 100.9.4`, or null when mongodump is not installed. */
  async toolVersion(): Promise<string | null> {
    return toolVersionLine(this.mongodump);
  }

  async testConnection(connection: MongoConnection): Promise<ConnectionTestResult> {
    const started = performance.now();
    const prelude = await probePrelude(this.probeRun(), connection, "The connection test");
    const own = userNamespaces(prelude);
    return {
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
      serverVersion: `MongoDB ${prelude.serverVersion}`,
      serverVersionNum: mongoVersionNum(prelude.serverVersion),
      databaseSizeBytes: own.reduce((sum, n) => sum + n.size, 0),
      tablesCount: own.length,
    };
  }

  /** The databases holding collections the user can read (an empty database does not exist in MongoDB). */
  async listDatabases(connection: MongoConnection): Promise<DatabaseInfo[]> {
    const all: MongoConnection = { ...connection, database: undefined };
    const sizes = new Map<string, number>();
    for (const n of userNamespaces(await probePrelude(this.probeRun(), all, "Listing databases"))) sizes.set(n.db, (sizes.get(n.db) ?? 0) + n.size);
    return [...sizes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, sizeBytes]) => ({ name, sizeBytes }));
  }

  async dump(connection: MongoConnection): Promise<DumpHandle> {
    const config = await createConfigFile(this.tmpDir, connection);
    return startDump({
      produce: async (dump) => {
        await dump.tool({
          name: "mongodump",
          bin: this.mongodump,
          args: buildMongodumpArgs(config.path, connection),
          env: toolEnv(),
          toOut: true,
          failure: (exit) => mongoToolFailure("DUMP_FAILED", "mongodump", exit, config.secrets),
          warnings: (exit) => stderrLines(exit, config.secrets),
        });
      },
      cleanup: () => config.remove(),
    });
  }

  /**
   * Restores an archive: refuses a target that holds collections unless `overwrite` (then
   * `--drop`), reads the archive's prelude to learn which database it came from, and maps that
   * database onto the target's (`--nsFrom/--nsTo`) when the target names another one.
   */
  async restore(artifact: Readable, target: MongoConnection, opts: RestoreOptions): Promise<RestoreResult> {
    const started = performance.now();
    if (opts.format !== "archive") throw new HoldfastError("VALIDATION_FAILED", `The mongodb engine restores archive artifacts, not ${opts.format}`);
    if (opts.noOwner) throw new HoldfastError("VALIDATION_FAILED", "noOwner is not available for mongodb");
    await requireToolVersion(this.mongorestore);
    const present = userNamespaces(await probePrelude(this.probeRun(), target, "Checking the restore target"));
    if (present.length > 0 && !opts.overwrite) {
      throw targetNotEmpty(`The target holds ${present.length} collections`, { objects: present.length, ...(target.database ? { database: target.database } : {}) });
    }
    const config = await createConfigFile(this.tmpDir, target);
    let tool: FilterProcess | null = null;
    try {
      const decoder = createDecoder(opts.codec, this.codecTools);
      const feed = new ArchiveFeed((prelude) => {
        tool = spawnFilter("mongorestore", this.mongorestore, buildMongorestoreArgs(config.path, target, { drop: Boolean(opts.overwrite), ...renameFor(prelude, target) }), toolEnv());
        tool.stdout.resume();
        tool.exited.catch(() => {});
        return tool;
      });
      const feedError = await pipeline(artifact, decoder.stream, feed).then(
        () => null,
        (err: unknown) => err,
      );
      const exit = tool ? await (tool as FilterProcess).exited : null;
      const decodeError = await decoder.done.then(
        () => null,
        (err: unknown) => err,
      );
      const toolError = () => restoreStageError("restore", exit ? mongoToolFailure("RESTORE_FAILED", "mongorestore", exit, config.secrets) : new Error("mongorestore never started"));
      if (exit && exit.code !== 0 && exit.signal === null) throw toolError();
      if (decodeError) throw restoreStageError("decompress", decodeError);
      if (feedError) throw restoreStageError("decompress", feedError);
      if (!exit || exit.code !== 0) throw toolError();
      return { durationMs: Math.round(performance.now() - started), warnings: stderrLines(exit, config.secrets) };
    } finally {
      await config.remove();
    }
  }
}

/** The archive's database onto the target's, when the target names one and the archive holds exactly one other. */
export function renameFor(prelude: ArchivePrelude, target: MongoConnection): { rename?: { from: string; to: string } } {
  if (target.database === undefined) return {};
  const dbs = [...new Set(prelude.namespaces.map((n) => n.db))];
  if (dbs.length > 1) {
    throw new HoldfastError("VALIDATION_FAILED", `The archive holds ${dbs.length} databases; restore it into a datasource without a database`, { databases: dbs });
  }
  return dbs.length === 1 && dbs[0] !== target.database ? { rename: { from: dbs[0]!, to: target.database } } : {};
}
