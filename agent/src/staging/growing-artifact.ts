import fs from "node:fs";
import { HoldfastError } from "@holdfast/shared/protocol";

/** How the staged file stands while the pipeline writes it (docs/link.md §8, "pull during staging"). */
export interface GrowingState {
  /** Where the bytes are: the `.partial` name, then the final name once committed. */
  path: string;
  /** Bytes the writer has handed to the kernel (readable through any descriptor). */
  written: number;
  /** Set once the pipeline finished AND fsynced the file: nothing more will be written. */
  final: { sizeBytes: number; sha256: string } | null;
  /** Set when the pipeline failed: the file is being removed and its bytes are no backup. */
  failed: HoldfastError | null;
}

export interface GrowingArtifact {
  readonly state: Readonly<GrowingState>;
  /**
   * Resolves on the writer's next change (bytes written, committed, failed) or after `maxMs`,
   * whichever comes first: readers that caught up wait on an event, never on a polling sleep.
   */
  changed(maxMs: number): Promise<void>;
}

/** The writer's side: the pipeline reports what it did to the file. */
export interface GrowingWriter {
  wrote(totalBytes: number): void;
  committed(finalPath: string, sizeBytes: number, sha256: string): void;
  failed(err: unknown): void;
}

interface Entry extends GrowingArtifact {
  writer: GrowingWriter;
  mutable: GrowingState;
}

// Run ids are unique per agent, so one registry per process is enough. An entry lives from the
// pipeline opening its file until the run's execution ends (forgetGrowing): a pull that asks between
// the commit and `completed` (the drill, the checks) still finds the final file here.
const entries = new Map<string, Entry>();
const openWaiters = new Map<string, Set<() => void>>();

/** Registers the staged file of `runId` as it is opened by the pipeline; returns the writer's hooks. */
export function trackGrowing(runId: string, partialPath: string): GrowingWriter {
  const mutable: GrowingState = { path: partialPath, written: 0, final: null, failed: null };
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const resolve of w) resolve();
  };
  const writer: GrowingWriter = {
    wrote(totalBytes) {
      mutable.written = totalBytes;
      if (waiters.length > 0) wake();
    },
    committed(finalPath, sizeBytes, sha256) {
      mutable.path = finalPath;
      mutable.written = sizeBytes;
      mutable.final = { sizeBytes, sha256 };
      wake();
    },
    failed(err) {
      if (mutable.final) return;
      const message = err instanceof Error ? err.message : String(err);
      mutable.failed = err instanceof HoldfastError ? err : new HoldfastError("STAGING_FAILED", `Staging failed: ${message}`);
      wake();
    },
  };
  const entry: Entry = {
    writer,
    mutable,
    state: mutable,
    changed(maxMs) {
      if (mutable.final || mutable.failed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(done, maxMs);
        function done() {
          clearTimeout(t);
          resolve();
        }
        waiters.push(done);
      });
    },
  };
  entries.set(runId, entry);
  const waiting = openWaiters.get(runId);
  openWaiters.delete(runId);
  for (const resolve of waiting ?? []) resolve();
  return writer;
}

/** The run's execution ended (completed, failed or cancelled): its readers go by the run's record now. */
export function forgetGrowing(runId: string): void {
  entries.get(runId)?.writer.failed(new HoldfastError("ARTIFACT_NOT_FOUND", `Run ${runId} ended before its staged file was committed`, { runId }));
  entries.delete(runId);
}

export function findGrowing(runId: string): GrowingArtifact | null {
  return entries.get(runId) ?? null;
}

/**
 * The growing artifact of a run, waiting up to `maxMs` for its pipeline to open the file (a pull may
 * ask as soon as the run started, while the preflight still runs): null when it did not.
 */
export async function awaitGrowing(runId: string, maxMs: number): Promise<GrowingArtifact | null> {
  const found = entries.get(runId);
  if (found || maxMs <= 0) return found ?? null;
  await new Promise<void>((resolve) => {
    const set = openWaiters.get(runId) ?? new Set();
    openWaiters.set(runId, set);
    const done = () => {
      clearTimeout(t);
      set.delete(done);
      if (set.size === 0 && openWaiters.get(runId) === set) openWaiters.delete(runId);
      resolve();
    };
    const t = setTimeout(done, maxMs);
    set.add(done);
  });
  return entries.get(runId) ?? null;
}

/**
 * The bytes of a growing artifact from `offset`, following the file as the pipeline writes it, until
 * the committed size; throws the pipeline's failure (the upload is then aborted, never completed).
 * One descriptor for the whole read: it survives the commit's rename.
 */
export async function* followGrowing(artifact: GrowingArtifact, offset: number, chunkBytes: number, waitMs = 5_000): AsyncGenerator<Buffer> {
  const s = artifact.state;
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(s.path, "r");
  } catch (err) {
    // Renamed between reading the path and opening it: the final name holds the same inode.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT" || s.failed) throw s.failed ?? err;
    handle = await fs.promises.open(s.path, "r");
  }
  try {
    let position = offset;
    for (;;) {
      if (s.failed) throw s.failed;
      if (position < s.written) {
        const want = Math.min(chunkBytes, s.written - position);
        const buffer = Buffer.allocUnsafe(want);
        const { bytesRead } = await handle.read(buffer, 0, want, position);
        if (bytesRead === 0) throw new HoldfastError("STAGING_FAILED", "The staged file is shorter than what was written");
        position += bytesRead;
        yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
        continue;
      }
      if (s.final && position >= s.final.sizeBytes) return;
      await artifact.changed(waitMs);
    }
  } finally {
    await handle.close();
  }
}
