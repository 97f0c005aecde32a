import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";

/**
 * A kernel pipe between two children, as a shell's `|` makes. Node's own stdio pipes are socket
 * pairs: a dump tool's 4 KiB writes into a socket cost the kernel more than into a pipe (about 0.2 s
 * of system CPU per GiB measured here, taken from the dump and the codec on a busy host). Node
 * cannot call pipe(2), so this is a FIFO made in a private folder and unlinked once both ends are open.
 */
export interface OsPipe {
  /** The read end: a child's stdin. */
  read: number;
  /** The write end: a child's stdout, or the agent's own writes (`pipeWriter`). */
  write: number;
  /** Hands the write end over to its new owner (a stream that closes it): never closed here again. */
  takeWrite(): number;
  /** Close the agent's copies of the ends still open; each only once. */
  closeRead(): void;
  closeWrite(): void;
  close(): void;
}

const MKFIFO_TIMEOUT_MS = 5_000;
let mkfifoMissing = false;

function mkfifo(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile("mkfifo", ["-m", "600", "--", file], { timeout: MKFIFO_TIMEOUT_MS, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } }, (err) => {
      if ((err as NodeJS.ErrnoException | null)?.code === "ENOENT") mkfifoMissing = true;
      resolve(err === null);
    });
  });
}

/**
 * A pipe in `dir` (which must be the agent's own, 0700), or null where none can be made (no
 * `mkfifo`, a file system without FIFOs): the caller then uses Node's socket pairs as before.
 */
export async function openOsPipe(dir: string): Promise<OsPipe | null> {
  if (mkfifoMissing || process.platform === "win32") return null;
  const file = path.join(dir, `.pipe-${randomBytes(6).toString("hex")}`);
  if (!(await mkfifo(file))) return null;
  let read = -1;
  let write = -1;
  try {
    // Opened read-write first, neither open waits for the other side (Linux, fifo(7)); this extra
    // end is closed at once so the reader still sees the end of the data when the writers close.
    const both = fs.openSync(file, fs.constants.O_RDWR);
    try {
      read = fs.openSync(file, fs.constants.O_RDONLY);
      write = fs.openSync(file, fs.constants.O_WRONLY);
    } finally {
      fs.closeSync(both);
    }
  } catch {
    for (const fd of [read, write]) if (fd >= 0) fs.closeSync(fd);
    return null;
  } finally {
    fs.rmSync(file, { force: true });
  }
  const open = { read: true, write: true };
  const pipe: OsPipe = {
    read,
    write,
    takeWrite: () => ((open.write = false), write),
    closeRead: () => open.read && ((open.read = false), fs.closeSync(read)),
    closeWrite: () => open.write && ((open.write = false), fs.closeSync(write)),
    close: () => (pipe.closeRead(), pipe.closeWrite()),
  };
  return pipe;
}
