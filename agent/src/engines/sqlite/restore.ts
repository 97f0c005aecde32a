import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError, type SqliteConnection } from "@holdfast/shared/protocol";
import { createDecoder, type CodecTools } from "../../pipeline/codec.js";
import { PIPELINE_CHUNK_BYTES } from "../../pipeline/chunk-size.js";
import { fileFailureCode } from "../failure-codes.js";
import { targetNotEmpty } from "../restore-target.js";
import type { RestoreOptions, RestoreResult } from "../types.js";
import { runSqliteTask } from "./run-worker.js";
import { sqliteError } from "./sqlite-errors.js";

export interface SqliteRestoreRun {
  artifact: Readable;
  target: SqliteConnection;
  opts: RestoreOptions;
  tools?: CodecTools;
}

/** The files SQLite keeps beside a database: a WAL, its index, a rollback journal. */
export const COMPANION_SUFFIXES = ["-wal", "-shm", "-journal"] as const;

function failed(stage: string, message: string, details: Record<string, unknown> = {}): HoldfastError {
  return new HoldfastError("RESTORE_FAILED", message, { stage, ...details });
}

/** What is at the target path now: nothing, an empty file, or a database that `overwrite` must allow replacing. */
async function inspectTarget(target: string, overwrite: boolean): Promise<fs.Stats | null> {
  const dir = path.dirname(target);
  const dirStat = await fs.promises.stat(dir).catch((err: NodeJS.ErrnoException) => {
    const cause = fileFailureCode(err.code);
    if (!cause) return null;
    const why = cause === "DATABASE_NOT_FOUND" ? "does not exist" : `cannot be read by the agent (${err.code})`;
    throw new HoldfastError(cause, `The folder of the restore target ${target} ${why}`, { stage: "target", path: target, cause: err.code });
  });
  if (!dirStat?.isDirectory()) throw failed("target", `The restore target ${target} is not in a folder (${dir} is not one)`, { path: target });
  const st = await fs.promises.lstat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw failed("target", `The restore target ${target} cannot be inspected (${err.code})`, { path: target, cause: err.code });
  });
  if (!st) return null;
  // A rename over a symlink would replace the link, not the database it points to: say so instead.
  if (!st.isFile()) throw failed("target", `The restore target ${target} is not a regular file${st.isSymbolicLink() ? " (a symlink: give the real path)" : ""}`, { path: target });
  if (st.size > 0 && !overwrite) {
    throw targetNotEmpty(`The restore target ${target} already holds a database (${st.size} bytes)`, { path: target, sizeBytes: st.size });
  }
  return st;
}

/** Decompresses the artifact into `candidate` (created exclusively, 0600) and flushes it to disk. */
async function writeCandidate(run: SqliteRestoreRun, candidate: string): Promise<void> {
  const decoder = createDecoder(run.opts.codec, run.tools);
  const sink = fs.createWriteStream(candidate, { flags: "wx", mode: 0o600, highWaterMark: PIPELINE_CHUNK_BYTES });
  const fed = await pipeline(run.artifact, decoder.stream, sink).then(
    () => null,
    (err: unknown) => err,
  );
  const codecError = await decoder.done.then(
    () => null,
    (err: unknown) => err,
  );
  const cause = codecError ?? fed;
  if (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    // The file system refusing the candidate (full, read-only as under the hardened unit, denied) is the write's failure.
    const stage = code !== undefined && ["ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "EIO"].includes(code) ? "write" : "decompress";
    throw failed(stage, `The restore stopped while ${stage === "write" ? "writing the database" : "decompressing"}${code ? ` (${code})` : ""}`, {
      ...(code ? { cause: code } : {}),
      ...(cause instanceof HoldfastError ? { stderr: cause.details?.stderr } : {}),
    });
  }
  const handle = await fs.promises.open(candidate, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Gives the candidate the old database's permission bits (never setuid/setgid) and, when we are root, its owner. */
async function adoptOwnership(candidate: string, old: fs.Stats | null): Promise<void> {
  if (!old) return;
  await fs.promises.chmod(candidate, old.mode & 0o777);
  if (process.getuid?.() === 0) await fs.promises.chown(candidate, old.uid, old.gid);
}

async function removeCompanions(file: string): Promise<string[]> {
  const removed: string[] = [];
  for (const suffix of COMPANION_SUFFIXES) {
    await fs.promises.unlink(file + suffix).then(
      () => removed.push(file + suffix),
      (err: NodeJS.ErrnoException) => {
        if (err.code !== "ENOENT") throw failed("replace", `Could not remove ${file + suffix} (${err.code})`, { path: file + suffix, cause: err.code });
      },
    );
  }
  return removed;
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Restores a SQLite artifact to `target.path`, never leaving a half-written database there:
 *
 * 1. Refuses a non-empty target without `overwrite` (RESTORE_TARGET_NOT_EMPTY) before reading a byte.
 * 2. Decompresses into a candidate file beside the target (same filesystem, so the final rename is
 *    atomic), fsyncs it, and runs integrity_check on it in the worker (stage `verify`).
 * 3. Removes the OLD database's `-wal`, `-shm` and `-journal`, then renames the candidate over the
 *    target and fsyncs the folder. Companions go first because SQLite would replay a stale WAL or hot
 *    journal into the NEW file on its next open (they carry no reference to which database they
 *    belong to); they go only after the candidate passed its check, so a failed restore leaves the old
 *    database and its WAL exactly as they were.
 *
 * Stop every process using the database first: one that still has the old file open keeps reading and
 * writing the replaced file (and its unlinked WAL), and its writes are lost.
 */
export async function restoreSqlite(run: SqliteRestoreRun): Promise<RestoreResult> {
  const started = performance.now();
  const target = run.target.path;
  const old = await inspectTarget(target, run.opts.overwrite ?? false);
  const base = path.basename(target).slice(0, 180);
  const candidate = path.join(path.dirname(target), `.${base}.holdfast-restore-${randomBytes(6).toString("hex")}`);
  const warnings: string[] = [];
  let renamed = false;
  try {
    await writeCandidate(run, candidate).catch((err: unknown) => {
      throw err instanceof HoldfastError ? err : failed("write", `Writing the restored database failed (${(err as NodeJS.ErrnoException).code ?? err})`);
    });
    await runSqliteTask({ kind: "verify", path: candidate }, "checked").catch((err: unknown) => {
      throw sqliteError("RESTORE_FAILED", err, { path: target, stage: "verify" });
    });
    // The read-only check left the candidate's (empty) -wal/-shm behind: not to be renamed with it.
    await removeCompanions(candidate);
    await adoptOwnership(candidate, old).catch((err: NodeJS.ErrnoException) => {
      warnings.push(`Could not give ${target} the previous file's mode or owner (${err.code})`);
    });
    for (const f of await removeCompanions(target)) warnings.push(`Removed ${f} of the replaced database`);
    await fs.promises.rename(candidate, target).catch((err: NodeJS.ErrnoException) => {
      throw failed("replace", `Could not move the restored database into place (${err.code})`, { path: target, cause: err.code });
    });
    renamed = true;
    await fsyncDir(path.dirname(target));
    return { durationMs: Math.round(performance.now() - started), warnings };
  } finally {
    if (!renamed) {
      await fs.promises.rm(candidate, { force: true });
      await removeCompanions(candidate).catch(() => {});
    }
  }
}
