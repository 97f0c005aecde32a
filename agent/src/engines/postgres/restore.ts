import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError, type PostgresConnection } from "@holdfast/shared/protocol";
import { restoreStageError, targetNotEmpty } from "../restore-target.js";
import { createDecoder, type CodecTools } from "../../pipeline/codec.js";
import { PIPELINE_CHUNK_BYTES } from "../../pipeline/chunk-size.js";
import { buildConninfo } from "./conninfo.js";
import { createPassfile } from "./passfile.js";
import { GlobalsSplitter } from "./globals-splitter.js";
import { newRestrictKey, PsqlGuard } from "./psql-guard.js";
import { pgToolFailure } from "./pg-tools.js";
import { runPsql } from "./psql-session.js";
import { spawnFilter, spawnTool, stderrLines, type ToolExit } from "../spawn-tool.js";
import { unpackToDirectory } from "../tar-dir.js";
import { toolOutput } from "../tool-version.js";
import type { RestoreOptions, RestoreResult } from "../types.js";

export interface PgRestoreRun {
  artifact: Readable;
  target: PostgresConnection;
  opts: RestoreOptions;
  pgRestore: string;
  psql: string;
  tmpDir: string;
  /** The tools' environment for a passfile (pg-tools.ts buildChildEnv, with the engine's connect timeout). */
  env: (passfilePath: string | null) => NodeJS.ProcessEnv;
  tools: CodecTools;
  jobs?: number;
}

/** Objects in the target's own schemas: relations, functions, types. 0 means an empty database. */
export const TARGET_OBJECTS_QUERY =
  "select (select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%') + (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname not in ('pg_catalog', 'information_schema'))";

/**
 * What `overwrite` does before a restore: every schema of the target dropped (CASCADE) and an empty
 * `public` made as initdb makes it. Not `pg_restore --clean`: that stops on partitioned tables
 * ("cannot drop inherited constraint", pagila's `payment`) and plain dumps have no DROPs at all; this
 * way every format restores into the same empty database. In one transaction: all or nothing.
 */
export const CLEAR_TARGET_SQL = `DO $holdfast$
DECLARE s name;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema')
      AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%' LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
  CREATE SCHEMA public;
  IF current_setting('server_version_num')::int >= 150000 THEN
    EXECUTE 'ALTER SCHEMA public OWNER TO pg_database_owner';
  ELSE
    EXECUTE 'GRANT CREATE ON SCHEMA public TO PUBLIC';
  END IF;
  GRANT USAGE ON SCHEMA public TO PUBLIC;
  COMMENT ON SCHEMA public IS 'standard public schema';
END
$holdfast$`;

/** psql takes everything on its stdin; ON_ERROR_STOP so the first error ends the restore, in one transaction. */
export function buildPsqlRestoreArgs(target: PostgresConnection): string[] {
  return [`--dbname=${buildConninfo(target)}`, "--no-password", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction"];
}

export function buildPgRestoreArgs(target: PostgresConnection, opts: RestoreOptions, file: string, jobs: number): string[] {
  const args = [`--dbname=${buildConninfo(target)}`, "--no-password", "--exit-on-error", `--format=${opts.format === "directory" ? "directory" : "custom"}`, `--jobs=${jobs}`];
  if (opts.noOwner) args.push("--no-owner");
  // The file is ours (an absolute path in a private temp dir), never a name from the artifact.
  args.push(file);
  return args;
}

async function psqlScalar(psql: string, target: PostgresConnection, env: NodeJS.ProcessEnv, query: string, secrets: readonly string[]): Promise<string> {
  const args = [`--dbname=${buildConninfo(target)}`, "--no-password", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", query];
  const out = await runPsql(psql, args, env, { code: "DB_CONNECTION_TEST_FAILED", what: "Checking the restore target (psql)", secrets });
  return out.toString("utf8").trim();
}

/** Whether this psql knows `\restrict` (the 17.6/16.10/15.14 patch releases and later). */
export async function psqlSupportsRestrict(psql: string): Promise<boolean> {
  return /^\s*\\restrict\b/m.test((await toolOutput(psql, ["--help=commands"])) ?? "");
}

/**
 * The cluster globals of a plain dump, in their own psql run: statement errors do not stop it
 * (`role "postgres" already exists` is expected on the server the dump came from) and are returned
 * as warnings. Behind its own PsqlGuard: the globals are data from the artifact like the rest.
 */
async function restoreGlobals(run: PgRestoreRun, env: NodeJS.ProcessEnv, sql: string, secrets: readonly string[]): Promise<string[]> {
  const key = (await psqlSupportsRestrict(run.psql)) ? newRestrictKey() : null;
  const args = [`--dbname=${buildConninfo(run.target)}`, "--no-password", "-X", "-q", "-v", "ON_ERROR_STOP=0"];
  const tool = spawnFilter("psql", run.psql, args, env);
  tool.stdout.resume();
  const fed = pipeline(Readable.from([Buffer.from(sql, "utf8")]), new PsqlGuard(key), tool.stdin).catch((err: unknown) => err);
  const [feedError, exit] = await Promise.all([fed, tool.exited]);
  if (feedError) throw restoreStageError("globals", feedError);
  if (exit.code !== 0) throw restoreStageError("globals", pgToolFailure("RESTORE_FAILED", "psql (globals)", exit, secrets));
  return stderrLines(exit, secrets).map((l) => `globals: ${l}`);
}

/**
 * Restores an artifact into `target`: refuses a non-empty target without `overwrite` (before any
 * write), decompresses, then plain → psql behind PsqlGuard; custom → a private temp file and
 * `pg_restore -j`; directory → tar unpacked into a private temp dir and `pg_restore -j`.
 */
export async function restorePostgres(run: PgRestoreRun): Promise<RestoreResult> {
  const { target, opts } = run;
  const started = performance.now();
  if (opts.format === "plain" && opts.noOwner) {
    throw new HoldfastError("VALIDATION_FAILED", "noOwner needs a custom or directory artifact; a plain dump's ownership is in its SQL");
  }
  const passfile = await createPassfile(run.tmpDir, target);
  const env = run.env(passfile.path);
  let workDir: string | null = null;
  try {
    const objects = Number(
      await psqlScalar(run.psql, target, env, TARGET_OBJECTS_QUERY, passfile.secrets).catch((err: unknown) => {
        throw restoreStageError("target", err);
      }),
    );
    if (objects > 0 && !opts.overwrite) {
      throw targetNotEmpty(`The target database ${target.database} holds ${objects} objects`, { objects, database: target.database });
    }
    if (objects > 0) {
      await psqlScalar(run.psql, target, env, CLEAR_TARGET_SQL, passfile.secrets).catch((err: unknown) => {
        throw new HoldfastError("RESTORE_FAILED", "Clearing the target for overwrite failed", { stage: "clear", stderr: (err as HoldfastError).details?.stderr });
      });
    }
    const decoder = createDecoder(opts.codec, run.tools);
    let toolExit: ToolExit;
    const globalsNotes: string[] = [];
    if (opts.format === "plain") {
      const key = (await psqlSupportsRestrict(run.psql)) ? newRestrictKey() : null;
      const tool = spawnFilter("psql", run.psql, buildPsqlRestoreArgs(target), env);
      tool.stdout.resume();
      const globals = new GlobalsSplitter(async (sql) => {
        if (opts.globals) globalsNotes.push(...(await restoreGlobals(run, env, sql, passfile.secrets)));
        else globalsNotes.push("globals: the dump carries the cluster's roles and tablespaces; not applied (restore with options.globals to apply them)");
      });
      const fed = pipeline(run.artifact, decoder.stream, globals, new PsqlGuard(key), tool.stdin).catch((err: unknown) => err);
      const [feedError, exit] = await Promise.all([fed, tool.exited]);
      await decoder.done.catch((err: unknown) => {
        throw restoreStageError("decompress", err);
      });
      if (exit.code !== 0) throw restoreStageError("restore", pgToolFailure("RESTORE_FAILED", "psql", exit, passfile.secrets));
      if (feedError) throw restoreStageError("decompress", feedError);
      toolExit = exit;
    } else {
      workDir = await fs.promises.mkdtemp(path.join(run.tmpDir, "holdfast-restore-"));
      await fs.promises.chmod(workDir, 0o700);
      let file: string;
      if (opts.format === "directory") {
        file = path.join(workDir, "dump");
        await fs.promises.mkdir(file, { mode: 0o700 });
        await Promise.all([unpackToDirectory(decoder.stream, file), pipeline(run.artifact, decoder.stream)]).catch((err: unknown) => {
          throw restoreStageError("unpack", err);
        });
      } else {
        file = path.join(workDir, "dump.custom");
        const sink = fs.createWriteStream(file, { flags: "wx", mode: 0o600, highWaterMark: PIPELINE_CHUNK_BYTES });
        await pipeline(run.artifact, decoder.stream, sink).catch((err: unknown) => {
          throw restoreStageError("decompress", err);
        });
      }
      await decoder.done.catch((err: unknown) => {
        throw restoreStageError("decompress", err);
      });
      const jobs = run.jobs ?? Math.min(4, Math.max(1, os.availableParallelism()));
      const tool = spawnTool("pg_restore", run.pgRestore, buildPgRestoreArgs(target, opts, file, jobs), env);
      tool.stdout.resume();
      const exit = await tool.exited;
      if (exit.code !== 0) throw restoreStageError("restore", pgToolFailure("RESTORE_FAILED", "pg_restore", exit, passfile.secrets));
      toolExit = exit;
    }
    const warnings = [...globalsNotes, ...stderrLines(toolExit, passfile.secrets)];
    return { durationMs: Math.round(performance.now() - started), warnings };
  } finally {
    await passfile.remove();
    if (workDir) await fs.promises.rm(workDir, { recursive: true, force: true });
  }
}
