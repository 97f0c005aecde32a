import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { HoldfastError, type PostgresConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { startDump, stoppedError, type DumpRun } from "../dump-handle.js";
import { stderrLines } from "../spawn-tool.js";
import { packDirectory } from "../tar-dir.js";
import type { DumpHandle, DumpSink, Fingerprint } from "../types.js";
import { FINGERPRINT_SQL, parseFingerprint } from "./fingerprint.js";
import { createPassfile } from "./passfile.js";
import { buildPgDumpallGlobalsArgs, buildPgDumpArgs } from "./pg-dump-args.js";
import { pgToolFailure } from "./pg-tools.js";
import { PsqlSession } from "./psql-session.js";
import { RECOVERY_CONFLICT, recoveryConflict } from "./standby.js";

export interface PgDumpRun {
  pgDump: string;
  pgDumpall: string;
  /** For the snapshot session of a verified (drilled) backup. */
  psql: string;
  tmpDir: string;
  /** The tools' environment for a passfile (pg-tools.ts buildChildEnv, with the engine's connect timeout). */
  env: (passfilePath: string | null) => NodeJS.ProcessEnv;
  connection: PostgresConnection;
  /** Absent: plain SQL, as the walking skeleton dumped. */
  options?: ResolvedBackupOptions;
  /** -j for the directory format; the host's cores, at most 4, by default. */
  jobs?: number;
  /** Where pg_dumpall and pg_dump write themselves (not for the directory format, packed here). */
  stdoutTo?: DumpSink;
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
  const env = run.env(passfile.path);
  const tool = (dump: DumpRun, name: string, bin: string, args: string[], toOut: boolean) =>
    dump.tool({
      name,
      bin,
      args,
      env,
      toOut,
      // Read before libpq's causes: the standby's "terminating connection" would pass for a lost server.
      failure: (exit) => (RECOVERY_CONFLICT.test(exit.stderrTail) ? recoveryConflict : (e: HoldfastError) => e)(pgToolFailure("DUMP_FAILED", name, exit, passfile.secrets)),
      warnings: (exit) => stderrLines(exit, passfile.secrets).map((l) => `${name}: ${l}`),
    });

  let workDir: string | null = null;
  let session: PsqlSession | null = null;
  let fingerprint: Fingerprint | null = null;
  return startDump({
    direct: options?.format !== "directory",
    produce: async (dump) => {
      let snapshot: string | undefined;
      if (options?.verify) {
        // The restore drill compares with the source as pg_dump saw it: both read one exported snapshot.
        session = PsqlSession.open(run.psql, connection, env, passfile.secrets);
        await session.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;");
        snapshot = (await session.query("SELECT pg_export_snapshot();")).trim();
      }
      const at = snapshot === undefined ? {} : { snapshot };
      if (options?.globals) await tool(dump, "pg_dumpall", run.pgDumpall, buildPgDumpallGlobalsArgs(connection), true);
      if (options?.format === "directory") {
        workDir = await fs.promises.mkdtemp(path.join(run.tmpDir, "holdfast-pgdir-"));
        await fs.promises.chmod(workDir, 0o700);
        const target = path.join(workDir, "dump");
        const jobs = run.jobs ?? Math.min(4, Math.max(1, os.availableParallelism()));
        await tool(dump, "pg_dump", run.pgDump, buildPgDumpArgs(connection, options, { directory: target, jobs, ...at }), false);
        if (dump.stopped) throw stoppedError();
        const packed = packDirectory(target);
        await Promise.all([pipeline(packed.stream, dump.out, { end: false }), packed.done]);
      } else {
        await tool(dump, "pg_dump", run.pgDump, buildPgDumpArgs(connection, options, at), true);
      }
      if (session) fingerprint = parseFingerprint(await session.query(FINGERPRINT_SQL));
    },
    onAbort: () => session?.kill(),
    cleanup: async () => {
      await session?.close();
      await passfile.remove();
      if (workDir) await fs.promises.rm(workDir, { recursive: true, force: true });
    },
    ...(options?.verify
      ? {
          sourceFingerprint: async () => {
            if (!fingerprint) throw new HoldfastError("INTERNAL_ERROR", "No fingerprint was taken");
            return fingerprint;
          },
        }
      : {}),
  }, run.stdoutTo);
}
