import path from "node:path";
import { performance } from "node:perf_hooks";
import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError, type MysqlConnection } from "@holdfast/shared/protocol";
import { createDecoder, type CodecTools } from "../../pipeline/codec.js";
import { restoreStageError, targetNotEmpty } from "../restore-target.js";
import { killTree, spawnFilter, stderrLines, toolEnv, type FilterProcess } from "../spawn-tool.js";
import { requireToolVersion } from "../tool-version.js";
import type { RestoreOptions, RestoreResult } from "../types.js";
import { buildClientArgs } from "./args.js";
import { createOptionsFile } from "./option-file.js";
import { mysqlToolFailure, quoteIdent, runSql, type SqlSession } from "./query.js";
import { clientHasSandbox, flavorOf } from "./tools.js";

export interface MysqlRestoreRun {
  artifact: Readable;
  target: MysqlConnection;
  opts: RestoreOptions;
  client: string;
  tmpDir: string;
  tools: CodecTools;
}

/** What the target database holds, one row per object: its kind and name. Empty means an empty database. */
export const TARGET_OBJECTS_SQL = `SELECT TABLE_TYPE, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()
UNION ALL SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()
UNION ALL SELECT 'EVENT', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE();
`;

/**
 * What `overwrite` runs before a restore: every view, table (triggers go with it), routine and event
 * of the target dropped, foreign key checks off for the session. Not DROP/CREATE DATABASE: that would
 * need more privileges and lose the database's own charset and grants. MySQL DDL is not
 * transactional: a failure here stops the restore with stage `clear`.
 */
export function clearTargetSql(objects: string[][]): string {
  const drops = ["SET SESSION FOREIGN_KEY_CHECKS = 0;"];
  const of = (kinds: string[]) => objects.filter(([kind]) => kinds.includes(kind!)).map(([, name]) => quoteIdent(name!));
  for (const v of of(["VIEW"])) drops.push(`DROP VIEW IF EXISTS ${v};`);
  for (const t of of(["BASE TABLE", "SYSTEM VERSIONED", "SEQUENCE", "TEMPORARY"])) drops.push(`DROP TABLE IF EXISTS ${t};`);
  for (const p of of(["PROCEDURE"])) drops.push(`DROP PROCEDURE IF EXISTS ${p};`);
  for (const f of of(["FUNCTION"])) drops.push(`DROP FUNCTION IF EXISTS ${f};`);
  for (const e of of(["EVENT"])) drops.push(`DROP EVENT IF EXISTS ${e};`);
  return drops.join("\n") + "\n";
}

/**
 * The client's stdin behind a Writable the pipeline owns: when the pipeline fails (a corrupt
 * artifact, a cancel), the client is killed BEFORE its stdin closes, so it never executes the half
 * statement it was reading; only a complete stream reaches its end-of-input.
 */
function feedInto(tool: FilterProcess): Writable {
  return new Writable({
    highWaterMark: 0,
    write(chunk: Buffer, _enc, cb) {
      tool.stdin.write(chunk, (err) => cb(err ?? null));
    },
    final(cb) {
      tool.stdin.end(() => cb());
    },
    destroy(err, cb) {
      if (err) {
        killTree(tool.child);
        tool.stdin.destroy();
      }
      cb(err);
    },
  });
}

/**
 * Restores a plain SQL artifact into the target database, which must exist (as for PostgreSQL:
 * the operator creates it, with the charset they want). Refuses RESTORE_TARGET_NOT_EMPTY before any
 * write unless `overwrite`, which first clears it; then decompresses into the client (binary mode,
 * sandbox) and maps a failure to RESTORE_FAILED with `stage` and the client's redacted stderr.
 */
export async function restoreMysql(run: MysqlRestoreRun): Promise<RestoreResult> {
  const { target, opts } = run;
  const started = performance.now();
  if (opts.format !== "plain") throw new HoldfastError("VALIDATION_FAILED", `The mysql engine restores plain SQL artifacts, not ${opts.format}`);
  if (opts.noOwner) throw new HoldfastError("VALIDATION_FAILED", "noOwner is not available for mysql: DEFINER clauses are part of the SQL");
  const flavor = flavorOf(await requireToolVersion(run.client));
  const optionsFile = await createOptionsFile(run.tmpDir, target);
  try {
    const session: SqlSession = { client: run.client, flavor, optionsFile, connection: target };
    const objects = await runSql(session, TARGET_OBJECTS_SQL, { code: "DB_CONNECTION_TEST_FAILED", what: "Checking the restore target (mariadb)" }).catch((err: unknown) => {
      throw restoreStageError("target", err);
    });
    if (objects.length > 0 && !opts.overwrite) {
      throw targetNotEmpty(`The target database ${target.database} holds ${objects.length} objects`, { objects: objects.length, database: target.database });
    }
    if (objects.length > 0) {
      await runSql(session, clearTargetSql(objects), { code: "RESTORE_FAILED", what: "Clearing the target for overwrite (mariadb)" }).catch((err: HoldfastError) => {
        throw new HoldfastError("RESTORE_FAILED", "Clearing the target for overwrite failed", { stage: "clear", stderr: err.details?.stderr });
      });
    }

    const sandbox = await clientHasSandbox(run.client);
    const decoder = createDecoder(opts.codec, run.tools);
    const tool = spawnFilter(path.basename(run.client), run.client, buildClientArgs(optionsFile.path, target, flavor, { sandbox, database: target.database }), toolEnv());
    tool.stdout.resume();
    tool.stdin.on("error", () => {});
    const fed = pipeline(run.artifact, decoder.stream, feedInto(tool)).then(
      () => null,
      (err: unknown) => err,
    );
    const [feedError, exit] = await Promise.all([fed, tool.exited]);
    const decodeError = await decoder.done.then(
      () => null,
      (err: unknown) => err,
    );
    // The client stopping on its own (an SQL error) explains the broken pipe behind it; a killed
    // client was stopped by us because the stream before it failed, which then is the story.
    const clientFailure = () => restoreStageError("restore", mysqlToolFailure("RESTORE_FAILED", path.basename(run.client), exit, optionsFile.secrets));
    if (exit.code !== 0 && exit.signal === null) throw clientFailure();
    if (decodeError) throw restoreStageError("decompress", decodeError);
    if (feedError) throw restoreStageError("decompress", feedError);
    if (exit.code !== 0) throw clientFailure();
    return { durationMs: Math.round(performance.now() - started), warnings: stderrLines(exit, optionsFile.secrets) };
  } finally {
    await optionsFile.remove();
  }
}
