import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { Writable } from "node:stream";
import { fsyncDir } from "../fs-safe.js";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";

export interface PartialFile {
  /** The open descriptor, for a dump tool that writes the file itself (codec none); closed by commit or discard. */
  fd: number;
  partialPath: string;
  finalPath: string;
  stream: Writable;
  /** fsync, close, rename to the final name, fsync the directory: only then does the file exist as an artifact. */
  commit(): Promise<void>;
  /** Closes and removes the partial file (any error path). */
  discard(): Promise<void>;
}

/** `<runId><ext>`; the extension names format and codec (pipeline/codec.ts#artifactExtension). */
export function artifactFileName(runId: string, extension = ".sql.gz"): string {
  return `${runId}${extension}`;
}

/**
 * Opens `<runDir>/<runId><ext>.partial` with O_EXCL, mode 0600. The `.partial` suffix means a crash
 * never leaves something that looks like a finished artifact (pgBackRest/restic pattern).
 */
export async function openPartial(runDir: string, runId: string, extension?: string, onWritten?: (totalBytes: number) => void): Promise<PartialFile> {
  const finalPath = path.join(runDir, artifactFileName(runId, extension));
  const partialPath = `${finalPath}.partial`;
  // A plain fd, not a FileHandle: a FileHandle's close() waits for the stream built on it, which with
  // autoClose:false never lets go. We keep the fd open after the stream finished in order to fsync it.
  // Read as well as write: when the dump tool writes the file itself, the agent reads it back to hash it.
  const fd = await promisify(fs.open)(partialPath, "wx+", 0o600);
  // The descriptor is closed here, once: destroy() would close it too (autoClose only stops that at
  // the end), and a second close could hit a descriptor reused meanwhile. So the stream's close is a no-op.
  const stream = fs.createWriteStream(partialPath, {
    fd,
    autoClose: false,
    emitClose: false,
    highWaterMark: PIPELINE_CHUNK_BYTES,
    fs: { write: fs.write, writev: fs.writev, close: (_fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => cb(null) },
  });
  if (onWritten) reportWrites(stream, onWritten);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await promisify(fs.close)(fd);
  };
  return {
    fd,
    partialPath,
    finalPath,
    stream,
    async commit() {
      await promisify(fs.fsync)(fd);
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

/**
 * Calls `onWritten` with the file's length each time a write reached the kernel: from then on any
 * descriptor reads those bytes. The hook of a pull that follows the file while it grows (link.md §8).
 */
function reportWrites(stream: fs.WriteStream, onWritten: (totalBytes: number) => void): void {
  type WriteFn = (chunk: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void) => void;
  type WritevFn = (chunks: { chunk: unknown; encoding: BufferEncoding }[], cb: (err?: Error | null) => void) => void;
  const s = stream as unknown as { _write: WriteFn; _writev?: WritevFn };
  const write = s._write.bind(stream);
  const after = (cb: (err?: Error | null) => void) => (err?: Error | null) => {
    if (!err) onWritten(stream.bytesWritten);
    cb(err);
  };
  s._write = (chunk, encoding, cb) => write(chunk, encoding, after(cb));
  if (s._writev) {
    const writev = s._writev.bind(stream);
    s._writev = (chunks, cb) => writev(chunks, after(cb));
  }
}
