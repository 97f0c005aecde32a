import fs from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Pack } from "tar-stream";
import { PIPELINE_CHUNK_BYTES } from "../../pipeline/chunk-size.js";
import { HashTap } from "../../pipeline/hash.js";
import { UnreadableEntryError, type WalkEntry } from "./walk.js";

/** Opens a file for reading; replaceable in tests (an EACCES a root test run cannot produce). */
export type OpenForRead = (abs: string) => Promise<fs.promises.FileHandle>;

/**
 * O_NOFOLLOW: a file swapped for a symlink since the walk is not followed (ELOOP). O_NONBLOCK: one
 * swapped for a FIFO does not hang the open (the fstat below then refuses it); no effect on files.
 */
export const openForRead: OpenForRead = (abs) => fs.promises.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);

/** A file that got shorter while it was read: its declared tar size can no longer be honoured. */
export class FileShrankError extends Error {
  constructor(
    readonly rel: string,
    readonly expected: number,
    readonly read: number,
  ) {
    super(`${rel} shrank from ${expected} to ${read} bytes while it was read`);
    this.name = "FileShrankError";
  }
}

export type PackedFile =
  | { packed: true; size: number; sha256: string; mode: number; changed: boolean }
  | { packed: false; why: string };

/**
 * One regular file into the tar: header from the OPEN file's fstat, then exactly that many bytes,
 * streamed with backpressure (memory flat whatever the size) and hashed on the way, so the fingerprint
 * is of the bytes archived, not of a second read. A file that grows or is rewritten meanwhile keeps the
 * size it had at open and is reported `changed` (a warning); one that shrinks fails the dump
 * (FileShrankError): padding it would archive bytes that never existed.
 */
export async function packFile(pack: Pack, entry: WalkEntry, open: OpenForRead = openForRead): Promise<PackedFile> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await open(entry.abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "EIO";
    if (code === "ENOENT") return { packed: false, why: "removed while the backup ran" };
    if (code === "ELOOP") return { packed: false, why: "replaced by a symlink while the backup ran" };
    throw new UnreadableEntryError(entry.rel, code);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { packed: false, why: "no longer a regular file" };
    const size = st.size;
    const tap = new HashTap();
    const sink = pack.entry({ name: entry.rel, type: "file", size, mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid });
    const source = size > 0 ? handle.createReadStream({ start: 0, end: size - 1, highWaterMark: PIPELINE_CHUNK_BYTES, autoClose: false }) : Readable.from([]);
    // The file's end reached (as opposed to the tar side failing first): short then means it shrank.
    let sourceEnded = false;
    source.once("end", () => (sourceEnded = true));
    try {
      // tar-stream's entries are streamx streams: Node's pipeline drives them like its own.
      await pipeline(source, tap, sink as unknown as NodeJS.WritableStream);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code && code.startsWith("E")) throw new UnreadableEntryError(entry.rel, code);
      if (sourceEnded && tap.bytes < size) throw new FileShrankError(entry.rel, size, tap.bytes);
      throw err;
    }
    const after = await handle.stat();
    const changed = after.size !== size || after.mtimeMs !== st.mtimeMs;
    return { packed: true, size, sha256: tap.digest(), mode: st.mode, changed };
  } finally {
    await handle.close();
  }
}
