import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError, type PostgresConnection, type ResolvedBackupOptions } from "@holdfast/shared";
import { PIPELINE_CHUNK_BYTES } from "../../pipeline/chunk-size.js";
import { createPassfile } from "./passfile.js";
import { buildPgDumpallGlobalsArgs, buildPgDumpArgs } from "./pg-dump-args.js";
import { killTree, redactSecrets, spawnTool, type ToolExit } from "../spawn-tool.js";
import { buildChildEnv, toolFailure } from "./engine.js";
import { packDirectory } from "../tar-dir.js";
import type { DumpHandle, Fingerprint } from "../types.js";
import { FINGERPRINT_SQL, parseFingerprint } from "./fingerprint.js";
import { PsqlSession } from "./psql-session.js";

export interface PgDumpRun {
  pgDump: string;
  pgDumpall: string;
  /** For the snapshot session of a verified (drilled) backup. */
  psql: string;
  tmpDir: string;
  connection: PostgresConnection;
  /** Absent: plain SQL, as the walking skeleton dumped. */
  options?: ResolvedBackupOptions;
  /** -j for the directory format; the host's cores, at most 4, by default. */
  jobs?: number;
}

function stderrLines(exit: ToolExit, password: string | undefined): string[] {
  const escaped = password?.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  return redactSecrets(exit.stderrTail, [password, escaped])
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Starts a dump and returns its byte stream at once. Plain and custom stream pg_dump's stdout; plain
 * with globals puts `pg_dumpall --globals-only` first in the same stream (docs/decisions.md);
 * directory lets `pg_dump -Fd -j N` write into a private temp dir, then packs it as one tar stream
 * and removes the dir. Every tool's exit code is checked; the passfile lives as long as the tools.
 */
export async function startPgDump(run: PgDumpRun): Promise<DumpHandle> {
  const { connection, options } = run;
  const passfile = await createPassfile(run.tmpDir, connection);
  const env = buildChildEnv(passfile.path);
  const out = new PassThrough({ highWaterMark: PIPELINE_CHUNK_BYTES });
  const warnings: string[] = [];
  let current: ChildProcess | null = null;
  let settled = false;
  let stopped = false;

  const runTool = async (name: string, bin: string, args: string[], toOut: boolean): Promise<void> => {
    if (stopped) throw new HoldfastError("DUMP_FAILED", `${name} was stopped before it started`, { signal: "SIGTERM" });
    const tool = spawnTool(name, bin, args, env);
    current = tool.child;
    if (toOut) tool.stdout.pipe(out, { end: false });
    else tool.stdout.resume();
    const exit = await tool.exited.finally(() => (current = null));
    if (exit.code !== 0) throw toolFailure("DUMP_FAILED", name, exit, passfile.password);
    warnings.push(...stderrLines(exit, passfile.password).map((l) => `${name}: ${l}`));
  };

  let workDir: string | null = null;
  let session: PsqlSession | null = null;
  let fingerprint: Fingerprint | null = null;
  const done = (async () => {
    try {
      let snapshot: string | undefined;
      if (options?.verify) {
        // The restore drill compares with the source as pg_dump saw it: both read one exported snapshot.
        session = PsqlSession.open(run.psql, connection, env, passfile.password);
        await session.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;");
        snapshot = (await session.query("SELECT pg_export_snapshot();")).trim();
      }
      const at = snapshot === undefined ? {} : { snapshot };
      if (options?.globals) await runTool("pg_dumpall", run.pgDumpall, buildPgDumpallGlobalsArgs(connection), true);
      if (options?.format === "directory") {
        workDir = await fs.promises.mkdtemp(path.join(run.tmpDir, "holdfast-pgdir-"));
        await fs.promises.chmod(workDir, 0o700);
        const target = path.join(workDir, "dump");
        const jobs = run.jobs ?? Math.min(4, Math.max(1, os.availableParallelism()));
        await runTool("pg_dump", run.pgDump, buildPgDumpArgs(connection, options, { directory: target, jobs, ...at }), false);
        if (stopped) throw new HoldfastError("DUMP_FAILED", "The dump was stopped", { signal: "SIGTERM" });
        const packed = packDirectory(target);
        await Promise.all([pipeline(packed.stream, out), packed.done]);
      } else {
        await runTool("pg_dump", run.pgDump, buildPgDumpArgs(connection, options, at), true);
        out.end();
      }
      if (session) fingerprint = parseFingerprint(await session.query(FINGERPRINT_SQL));
    } catch (err) {
      // The pipeline behind must not wait for bytes that will never come; `done` carries the failure
      // (ending, not destroying with the error: nobody may be listening for one yet).
      if (!out.destroyed) out.end();
      throw err;
    } finally {
      settled = true;
      await session?.close();
      await passfile.remove();
      if (workDir) await fs.promises.rm(workDir, { recursive: true, force: true });
    }
  })();
  done.catch(() => {});

  return {
    stdout: out,
    done,
    abort: () => {
      if (settled) return false;
      stopped = true;
      session?.kill();
      if (current) killTree(current);
      else out.destroy();
      return true;
    },
    warnings: () => warnings,
    ...(options?.verify
      ? {
          sourceFingerprint: async () => {
            await done;
            if (!fingerprint) throw new HoldfastError("INTERNAL_ERROR", "No fingerprint was taken");
            return fingerprint;
          },
        }
      : {}),
  };
}
