import { finished } from "node:stream/promises";
import { PassThrough } from "node:stream";
import path from "node:path";
import { HoldfastError, type MysqlConnection, type ResolvedBackupOptions } from "@holdfast/shared";
import { PIPELINE_CHUNK_BYTES } from "../../pipeline/chunk-size.js";
import { killTree, spawnTool, type ToolExit } from "../spawn-tool.js";
import type { DumpHandle, Fingerprint } from "../types.js";
import { buildDumpArgs } from "./args.js";
import { createOptionsFile } from "./option-file.js";
import { redactedStderr, toolFailure } from "./query.js";
import { resolveTableSelection } from "./tables.js";
import { flavorOf, mysqlChildEnv, toolVersionLine } from "./tools.js";

/** What mariadb-dump and mysqldump write last when (and only when) they got to the end. */
const TRAILER = /(?:^|\n)-- Dump completed(?: on [^\n]*)?\s*$/;
const TAIL_BYTES = 256;

export interface MysqlDumpRun {
  dump: string;
  client: string;
  tmpDir: string;
  connection: MysqlConnection;
  options?: ResolvedBackupOptions;
  /** The fingerprint the restore drill compares against, computed on demand after the dump. */
  fingerprint: () => Promise<Fingerprint>;
}

/** Whether the last bytes of a dump are the tool's completion trailer. */
export function endsWithTrailer(tail: Buffer): boolean {
  return TRAILER.test(tail.toString("latin1"));
}

function stderrLines(exit: ToolExit, password: string | undefined): string[] {
  return redactedStderr(exit, password)
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Starts mariadb-dump (or mysqldump) and returns its stdout at once. `done` rejects DUMP_FAILED on a
 * non-zero exit and also when the output does not end with the `-- Dump completed` trailer: a
 * stream cut short (a killed tool, a tool that exits 0 after an error) never passes for a backup.
 * The options file lives exactly as long as the tool.
 */
export async function startMysqlDump(run: MysqlDumpRun): Promise<DumpHandle> {
  const { connection, options } = run;
  const version = await toolVersionLine(run.dump);
  if (version === null) throw new HoldfastError("TOOL_NOT_FOUND", `${path.basename(run.dump)} is not installed or not on PATH`, { tool: path.basename(run.dump) });
  const flavor = flavorOf(version);
  const optionsFile = await createOptionsFile(run.tmpDir, connection);
  let tool;
  try {
    const clientVersion = (await toolVersionLine(run.client)) ?? version;
    const session = { client: run.client, flavor: flavorOf(clientVersion), optionsFile, connection };
    const tables = await resolveTableSelection(session, options?.tables);
    tool = spawnTool(path.basename(run.dump), run.dump, buildDumpArgs(optionsFile.path, connection, flavor, options, tables), mysqlChildEnv());
  } catch (err) {
    await optionsFile.remove();
    throw err;
  }

  const out = new PassThrough({ highWaterMark: PIPELINE_CHUNK_BYTES });
  let tail = Buffer.alloc(0);
  tool.stdout.on("data", (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk]);
    if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
  });
  tool.stdout.pipe(out, { end: false });
  const warnings: string[] = [];
  let settled = false;

  const done = (async () => {
    try {
      const [exit] = await Promise.all([tool.exited, finished(tool.stdout).catch(() => {})]);
      if (exit.code !== 0) throw toolFailure("DUMP_FAILED", path.basename(run.dump), exit, optionsFile.password);
      warnings.push(...stderrLines(exit, optionsFile.password));
      if (!endsWithTrailer(tail)) {
        throw new HoldfastError("DUMP_FAILED", `${path.basename(run.dump)} exited 0 but its output ends without the "-- Dump completed" trailer`, {
          stderr: redactedStderr(exit, optionsFile.password),
        });
      }
      out.end();
    } catch (err) {
      // The pipeline behind must not wait for bytes that will never come; `done` carries the failure.
      if (!out.destroyed) out.end();
      throw err;
    } finally {
      settled = true;
      await optionsFile.remove();
    }
  })();
  done.catch(() => {});

  return {
    stdout: out,
    done,
    abort: () => {
      if (settled) return false;
      return killTree(tool.child);
    },
    warnings: () => warnings,
    sourceFingerprint: run.fingerprint,
  };
}
