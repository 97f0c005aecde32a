import { posix } from "node:path";
import { Readable } from "node:stream";
import type { SFTPWrapper, Stats } from "ssh2";
import { call, SFTP_NO_SUCH_FILE, type SftpSession } from "./sftp-connection.js";

/** Each SFTP write request carries at most this much; a chunk's pieces are in flight together. */
const WRITE_PIECE = 64 * 1024;

export const isNoSuchFile = (err: unknown) => (err as { code?: unknown }).code === SFTP_NO_SUCH_FILE;
export const unsupported = (err: unknown) => (err as Error).message === "Server does not support this extended request";

export async function statOrNull(sftp: SFTPWrapper, path: string): Promise<Stats | null> {
  try {
    return await call<Stats>((cb) => sftp.stat(path, cb));
  } catch (err) {
    if (isNoSuchFile(err)) return null;
    throw err;
  }
}

/** mkdir -p, tolerating a folder created meanwhile by another writer. */
export async function ensureFolder(sftp: SFTPWrapper, dir: string): Promise<void> {
  const found = await statOrNull(sftp, dir);
  if (found?.isDirectory()) return;
  if (found) throw Object.assign(new Error(`${dir} is not a folder`), { code: 4 });
  if (posix.dirname(dir) !== dir) await ensureFolder(sftp, posix.dirname(dir));
  try {
    await call((cb) => sftp.mkdir(dir, { mode: 0o750 }, cb));
  } catch (err) {
    if (!(await statOrNull(sftp, dir))?.isDirectory()) throw err;
  }
}

export async function writeChunk(sftp: SFTPWrapper, handle: Buffer, chunk: Buffer, position: number): Promise<void> {
  const writes: Promise<void>[] = [];
  for (let off = 0; off < chunk.length; off += WRITE_PIECE) {
    const len = Math.min(WRITE_PIECE, chunk.length - off);
    writes.push(call((cb) => sftp.write(handle, chunk, off, len, position + off, cb)));
  }
  await Promise.all(writes);
}

/** Renames over an existing object: atomically with OpenSSH's posix-rename, else unlink then rename. */
export async function renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await call((cb) => sftp.ext_openssh_rename(from, to, cb));
    return;
  } catch (err) {
    if (!unsupported(err)) throw err;
  }
  try {
    await call((cb) => sftp.rename(from, to, cb));
  } catch {
    await call((cb) => sftp.unlink(to, cb)).catch(() => {});
    await call((cb) => sftp.rename(from, to, cb));
  }
}

/** Bytes per SFTP read request, and how many are in flight at once while a file is read. */
const READ_PIECE = 64 * 1024;
const READS_AHEAD = 16;

/** Reads `len` bytes at `position`, following short reads; fewer only at the end of the file. */
async function readPiece(sftp: SFTPWrapper, handle: Buffer, position: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = await call<number>((cb) => sftp.read(handle, buf, got, len - got, position + got, cb as never));
    if (!n) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * The file's bytes from `start` on as a stream, with several read requests in flight (one at a time,
 * as ssh2's own read stream does, leaves a loopback link mostly idle). The session closes when the
 * stream ends or is destroyed; `mapError` turns SFTP errors into catalog errors.
 */
export async function readFile(session: SftpSession, path: string, mapError: (err: unknown) => Error, start = 0): Promise<Readable> {
  const { sftp } = session;
  const handle = await call<Buffer>((cb) => sftp.open(path, "r", cb));
  const size = (await call<Stats>((cb) => sftp.fstat(handle, cb))).size;
  const pieces: Promise<Buffer>[] = [];
  let requested = start;
  const fill = () => {
    while (pieces.length < READS_AHEAD && requested < size) {
      const piece = readPiece(sftp, handle, requested, Math.min(READ_PIECE, size - requested));
      piece.catch(() => {}); // awaited in order below; a rejection is handled there
      pieces.push(piece);
      requested += READ_PIECE;
    }
  };
  const stream = new Readable({
    highWaterMark: 1024 * 1024,
    read() {
      fill();
      const next = pieces.shift();
      if (!next) {
        this.push(null);
        return;
      }
      next.then(
        (buf) => {
          // A file that shrank while read ends at its new end.
          this.push(buf.length === 0 ? null : buf);
        },
        (err: unknown) => this.destroy(mapError(err)),
      );
    },
    destroy(err, done) {
      sftp.close(handle, () => session.close());
      done(err);
    },
  });
  return stream;
}
