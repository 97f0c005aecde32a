import fs from "node:fs";
import path from "node:path";
import type { PassThrough } from "node:stream";
import { HoldfastError, type SqliteConnection } from "@holdfast/shared/protocol";
import { startDump, stoppedError } from "../dump-handle.js";
import { PIPELINE_CHUNK_BYTES } from "../../pipeline/chunk-size.js";
import type { DumpHandle, Fingerprint } from "../types.js";
import { makePrivateDir } from "./private-dir.js";
import { SqliteWorkerRun } from "./run-worker.js";
import { sqliteError } from "./sqlite-errors.js";

export interface SqliteDumpRun {
  connection: SqliteConnection;
  tmpDir: string;
  busyTimeoutMs: number;
  /** Fingerprint the snapshot for the restore drill (a second read of the copy, in the worker, while it streams). */
  fingerprint: boolean;
}

/**
 * Copies `file` into `out` with backpressure, leaving `out` open. Resolves at the file's end; rejects
 * when the copy or `out` goes away first (the pipeline behind failed).
 */
function streamInto(file: string, out: PassThrough): { done: Promise<void>; stop(): void } {
  const reader = fs.createReadStream(file, { highWaterMark: PIPELINE_CHUNK_BYTES });
  const done = new Promise<void>((resolve, reject) => {
    reader.once("end", resolve);
    reader.once("error", reject);
    reader.once("close", () => reject(new Error("streaming the copy was stopped")));
    out.once("close", () => reject(new Error("the pipeline stopped reading the copy")));
  });
  done.catch(() => {});
  reader.pipe(out, { end: false });
  return {
    done,
    stop: () => {
      reader.unpipe(out);
      reader.destroy();
    },
  };
}

/**
 * Starts a dump: the worker takes the snapshot into a private temp file (0700 dir, 0600 file) with the
 * online backup API; as soon as the copy is complete it streams out as `stdout` while the worker runs
 * integrity_check on it (and the fingerprint). `done` waits for both: a copy that fails its check
 * rejects DUMP_FAILED (reason `corrupt`), so the pipeline discards what it staged — nothing reaches a
 * completed artifact before the check said ok. The temp copy is removed when the dump settles.
 *
 * Disk: the copy needs as much free space as the database itself in `tmpDir`, on top of the staged
 * artifact, for the length of the run.
 */
export async function startSqliteDump(run: SqliteDumpRun): Promise<DumpHandle> {
  const file = run.connection.path;
  const workDir = await makePrivateDir(run.tmpDir, "holdfast-sqlite-");
  const copy = path.join(workDir, "snapshot.sqlite");
  let worker: SqliteWorkerRun | null = null;
  let streaming: ReturnType<typeof streamInto> | null = null;
  let fingerprint: Promise<Fingerprint> | null = null;
  let stage = "snapshot";
  const asDumpError = (err: unknown, stopped: boolean): HoldfastError =>
    stopped ? stoppedError("The SQLite dump was stopped", { path: file, stage }) : sqliteError("DUMP_FAILED", err, { path: file, stage, busyTimeoutMs: run.busyTimeoutMs });

  return startDump({
    produce: async (dump) => {
      // Created first, 0600: SQLite would otherwise create the copy with the umask's mode.
      await fs.promises.writeFile(copy, "", { mode: 0o600, flag: "wx" });
      if (dump.stopped) throw new Error("stopped before the snapshot");
      const w = new SqliteWorkerRun({ kind: "snapshot", path: file, dest: copy, busyTimeoutMs: run.busyTimeoutMs, fingerprint: run.fingerprint });
      worker = w;
      await w.next("snapshot");
      if (run.fingerprint) {
        fingerprint = w.next("fingerprint").then((m) => m.fingerprint);
        fingerprint.catch(() => {});
      }
      stage = "stream";
      const s = streamInto(copy, dump.out);
      streaming = s;
      const checked = w.next("checked").catch((err: unknown) => {
        // Stop feeding the pipeline at once; `done` carries the failure.
        s.stop();
        stage = "check";
        throw err;
      });
      await Promise.all([s.done, checked]);
      dump.out.end();
      // The fingerprint reads the copy: it must be finished before the copy is removed.
      await fingerprint?.catch(() => {});
    },
    onAbort: () => {
      streaming?.stop();
      void worker?.stop();
    },
    failure: (err, stopped) => (err instanceof HoldfastError && !stopped ? err : asDumpError(err, stopped)),
    cleanup: async () => {
      await worker?.stop();
      await fs.promises.rm(workDir, { recursive: true, force: true });
    },
    sourceFingerprint: () => {
      if (!fingerprint) return Promise.reject(new HoldfastError("FEATURE_NOT_AVAILABLE", "This dump took no fingerprint (the engine's fingerprintDumps is off)"));
      return fingerprint.catch((err: unknown) => {
        throw sqliteError("DUMP_FAILED", err, { path: file, stage: "fingerprint" });
      });
    },
  });
}
