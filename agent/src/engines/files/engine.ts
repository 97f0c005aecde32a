import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { HoldfastError, type FilesConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { SAFE_ID } from "../../fs-safe.js";
import { EngineBase, type EngineOptionsBase } from "../engine-base.js";
import type { ConnectionTestResult, DatabaseInfo, DumpHandle, Engine, Fingerprint, RestoreOptions, RestoreResult, ScratchTarget } from "../types.js";
import { displayName } from "./entry-name.js";
import { fingerprintFolder } from "./fingerprint.js";
import { folderFailure } from "./folder-failure.js";
import { startFilesDump, type PackFolderOptions } from "./pack-folder.js";
import { createPathFilter } from "./path-filter.js";
import { restoreFolder } from "./restore.js";
import { UnreadableEntryError, walkFolder } from "./walk.js";

export interface FilesEngineOptions extends EngineOptionsBase {
  /** How many entries testConnection and listDatabases walk before they stop counting (sizes become null). */
  maxCountedEntries?: number;
  /** Tests only: the open() of files being packed. */
  pack?: PackFolderOptions;
}

export const DEFAULT_MAX_COUNTED_ENTRIES = 100_000;

/** tar-stream's version, from its package.json (its `exports` do not list that file). */
function tarStreamVersion(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve("tar-stream")), "package.json"), "utf8")) as { version?: string };
    return pkg.version ?? null;
  } catch {
    return null;
  }
}

function connectionFailure(root: string, err: unknown): HoldfastError {
  if (err instanceof UnreadableEntryError) {
    return new HoldfastError("DB_CONNECTION_TEST_FAILED", `Cannot read ${displayName(err.rel || ".")} in ${root} (${err.errno})`, { path: root, entry: displayName(err.rel || "."), reason: "unreadable", cause: err.errno });
  }
  return folderFailure("DB_CONNECTION_TEST_FAILED", root, err);
}

/**
 * A folder (`connection.path`, with picomatch `include`/`exclude`) as a tar artifact; restored under a
 * target folder by a refusing extractor (safe-extract.ts). See README.md for the decisions.
 */
export class FilesEngine extends EngineBase<FilesEngineOptions> implements Engine<FilesConnection> {
  readonly engine = "files" as const;
  readonly toolName = "tar (tar-stream, in-process)";

  async toolVersion(): Promise<string | null> {
    const v = tarStreamVersion();
    return v ? `tar-stream ${v}` : null;
  }

  /** Included files and their total size, or nulls past `maxCountedEntries` (a huge tree is not walked in full here). */
  private async count(connection: FilesConnection): Promise<{ files: number | null; bytes: number | null }> {
    const st = await fs.promises.stat(connection.path).catch((err: unknown) => {
      throw connectionFailure(connection.path, err);
    });
    if (!st.isDirectory()) throw new HoldfastError("DB_CONNECTION_TEST_FAILED", `${connection.path} is not a folder`, { path: connection.path, reason: "not_a_folder" });
    await fs.promises.access(connection.path, fs.constants.R_OK | fs.constants.X_OK).catch((err: unknown) => {
      throw connectionFailure(connection.path, err);
    });
    const limit = this.opts.maxCountedEntries ?? DEFAULT_MAX_COUNTED_ENTRIES;
    let files = 0;
    let bytes = 0;
    let seen = 0;
    try {
      for await (const entry of walkFolder(connection.path, createPathFilter(connection.include, connection.exclude), () => {})) {
        if (++seen > limit) return { files: null, bytes: null };
        if (entry.kind === "file") {
          files++;
          bytes += entry.stats.size;
        }
      }
    } catch (err) {
      throw connectionFailure(connection.path, err);
    }
    return { files, bytes };
  }

  async testConnection(connection: FilesConnection): Promise<ConnectionTestResult> {
    const started = performance.now();
    const { files, bytes } = await this.count(connection);
    return { latencyMs: Math.round((performance.now() - started) * 10) / 10, serverVersion: "files", databaseSizeBytes: bytes, tablesCount: files };
  }

  async dump(connection: FilesConnection, _options?: ResolvedBackupOptions): Promise<DumpHandle> {
    return startFilesDump(connection, this.opts.pack);
  }

  async restore(artifact: Readable, target: FilesConnection, opts: RestoreOptions): Promise<RestoreResult> {
    return restoreFolder({ artifact, target, opts, tools: this.codecTools });
  }

  async listDatabases(connection: FilesConnection): Promise<DatabaseInfo[]> {
    const { bytes } = await this.count(connection);
    return [{ name: connection.path, sizeBytes: bytes }];
  }

  /** A private (0700) empty folder; the scratch keeps the source's rules so fingerprint() compares like with like. */
  async createScratch(source: FilesConnection, drillId: string): Promise<ScratchTarget<FilesConnection>> {
    await fs.promises.mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    const dir = await fs.promises.mkdtemp(path.join(this.tmpDir, `holdfast-drill-${SAFE_ID.test(drillId) ? drillId.slice(0, 64) : "files"}-`));
    await fs.promises.chmod(dir, 0o700);
    return {
      connection: { path: dir, ...(source.include ? { include: source.include } : {}), ...(source.exclude ? { exclude: source.exclude } : {}) },
      drop: () => fs.promises.rm(dir, { recursive: true, force: true }),
    };
  }

  async fingerprint(connection: FilesConnection): Promise<Fingerprint> {
    return fingerprintFolder(connection).catch((err: unknown) => {
      if (err instanceof UnreadableEntryError) {
        throw new HoldfastError("DUMP_FAILED", `Cannot read ${displayName(err.rel || ".")} in ${connection.path} (${err.errno})`, { stage: "fingerprint", path: displayName(err.rel || "."), cause: err.errno });
      }
      throw err;
    });
  }
}
