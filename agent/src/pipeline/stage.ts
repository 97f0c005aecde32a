import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import { fsyncDir } from "../fs-safe.js";
import { PIPELINE_CHUNK_BYTES } from "./compress.js";

export interface PartialFile {
  partialPath: string;
  finalPath: string;
  stream: Writable;
  /** fsync, close, rename to the final name, fsync the directory: only then does the file exist as an artifact. */
  commit(): Promise<void>;
  /** Closes and removes the partial file (any error path). */
  discard(): Promise<void>;
}

export function artifactFileName(runId: string): string {
  return `${runId}.sql.gz`;
}

/**
 * Opens `<runDir>/<runId>.sql.gz.partial` with O_EXCL, mode 0600. The `.partial` suffix means a crash
 * never leaves something that looks like a finished artifact (pgBackRest/restic pattern).
 */
export async function openPartial(runDir: string, runId: string): Promise<PartialFile> {
  const finalPath = path.join(runDir, artifactFileName(runId));
  const partialPath = `${finalPath}.partial`;
  const handle = await fs.promises.open(partialPath, "wx", 0o600);
  const stream = handle.createWriteStream({ autoClose: false, highWaterMark: PIPELINE_CHUNK_BYTES });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    partialPath,
    finalPath,
    stream,
    async commit() {
      await handle.sync();
      await close();
      await fs.promises.rename(partialPath, finalPath);
      await fsyncDir(runDir);
    },
    async discard() {
      stream.destroy();
      await close().catch(() => {});
      await fs.promises.rm(partialPath, { force: true });
    },
  };
}
