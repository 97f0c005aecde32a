import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Extract, Header } from "tar-stream";
import { HoldfastError } from "@holdfast/shared/protocol";
import { checkEntryName, displayName } from "./entry-name.js";

/** Directories the restore creates on its own (no entry of theirs in the archive) get this mode at the end. */
const IMPLICIT_DIR_MODE = 0o750;
/** setuid, setgid and sticky never survive a restore; the permission bits do. */
const KEPT_MODE_BITS = 0o777;

export interface ExtractResult {
  entries: number;
  warnings: string[];
}

/** RESTORE_FAILED for one entry: its name escaped and cut (entry-name.ts), and why it was refused. */
export function refusal(name: string, reason: string): HoldfastError {
  return new HoldfastError("RESTORE_FAILED", `Refused archive entry ${displayName(name)}: ${reason}`, { stage: "extract", entry: displayName(name), reason });
}

const tempName = () => `.holdfast-${randomBytes(8).toString("hex")}.tmp`;

async function lstatOrNull(p: string): Promise<fs.Stats | null> {
  return fs.promises.lstat(p).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return null;
    throw err;
  });
}

function within(root: string, p: string): boolean {
  return p === root || p.startsWith(root + path.sep);
}

/**
 * Unpacks a tar stream under `root` (an existing directory, already resolved with realpath) and
 * refuses, stopping the restore, any entry that could write outside it:
 *
 * - names: absolute, with a `..` component, with NUL (entry-name.ts);
 * - types: hard links (one could tie a restored name to a file outside), character and block devices,
 *   FIFOs, anything else that is not a file, directory or symlink;
 * - placement: every directory on the way must be a real directory under `root` (lstat, never
 *   followed). A symlink is never traversed, whether the archive made it (`link -> /tmp`, then
 *   `link/file`) or it was already in the target; a path that realpath puts outside `root` is refused.
 *
 * Files are written to a fresh temp name beside their place (O_EXCL|O_NOFOLLOW, 0600), then chmod to
 * the archived permission bits (setuid/setgid/sticky dropped) and renamed into place: a rename replaces
 * a symlink that is in the way instead of writing through it. Directories are created 0700 and get
 * their archived bits once everything under them is written. Symlinks are recreated as they were
 * archived, including ones pointing outside `root`: nothing is ever written through them (above),
 * and each outside one is reported in `warnings`.
 */
export async function extractSafely(extract: Extract, root: string): Promise<ExtractResult> {
  const warnings: string[] = [];
  const dirModes = new Map<string, { mode: number; mtime: Date | null }>();
  let entries = 0;

  /** Walks (creating as needed) the directories of `parts` under root; returns the last one's path. */
  async function directoryChain(name: string, parts: string[]): Promise<string> {
    let current = root;
    for (const part of parts) {
      current = path.join(current, part);
      let st = await lstatOrNull(current);
      if (!st) {
        await fs.promises.mkdir(current, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "EEXIST") throw err;
        });
        if (!dirModes.has(current)) dirModes.set(current, { mode: IMPLICIT_DIR_MODE, mtime: null });
        st = await lstatOrNull(current);
      }
      if (st?.isSymbolicLink()) throw refusal(name, `it lies under the symlink ${displayName(path.relative(root, current))}`);
      if (!st?.isDirectory()) throw refusal(name, `it lies under ${displayName(path.relative(root, current))}, which is not a directory`);
    }
    // Belt and braces: with every component checked above this always holds.
    const real = await fs.promises.realpath(current);
    if (real !== current || !within(root, real)) throw refusal(name, "its folder resolves outside the target");
    return current;
  }

  async function placeFile(header: Header, stream: AsyncIterable<Buffer>, dir: string, final: string): Promise<void> {
    const temp = path.join(dir, tempName());
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
    const handle = await fs.promises.open(temp, flags, 0o600);
    try {
      try {
        // Awaiting each write is the backpressure; the fd stays ours for fchmod (no path lookup again).
        for await (const chunk of stream) await handle.write(chunk);
        await handle.chmod(header.mode & KEPT_MODE_BITS);
        await handle.utimes(header.mtime, header.mtime);
      } finally {
        await handle.close();
      }
      await fs.promises.rename(temp, final);
    } catch (err) {
      await fs.promises.rm(temp, { force: true });
      throw err;
    }
  }

  async function placeSymlink(name: string, target: string, dir: string, final: string): Promise<void> {
    if (!target || target.includes("\0")) throw refusal(name, "a symlink without a valid target");
    const temp = path.join(dir, tempName());
    await fs.promises.symlink(target, temp);
    await fs.promises.rename(temp, final).catch(async (err: unknown) => {
      await fs.promises.rm(temp, { force: true });
      throw err;
    });
    if (!within(root, path.resolve(dir, target))) {
      warnings.push(`${displayName(path.relative(root, final))} is a symlink to ${displayName(target)}, outside the restore target: restored as a link, never followed`);
    }
  }

  for await (const stream of extract) {
    const header = stream.header;
    const name = header.name;
    const checked = checkEntryName(name);
    if (!checked.ok) throw refusal(name, checked.reason);
    switch (header.type) {
      case "file":
      case "directory":
      case "symlink":
        break;
      case "link":
        throw refusal(name, "a hard link (refused: it could tie a restored file to one outside the target)");
      case "character-device":
      case "block-device":
        throw refusal(name, "a device file");
      case "fifo":
        throw refusal(name, "a FIFO");
      default:
        throw refusal(name, `an entry of type ${displayName(String(header.type))}`);
    }
    const parts = checked.parts;
    if (header.type === "directory") {
      const dir = await directoryChain(name, parts);
      dirModes.set(dir, { mode: header.mode & KEPT_MODE_BITS, mtime: header.mtime });
      stream.resume();
      entries++;
      continue;
    }
    const dir = await directoryChain(name, parts.slice(0, -1));
    const final = path.join(dir, parts.at(-1)!);
    if ((await lstatOrNull(final))?.isDirectory()) throw refusal(name, "it would replace a directory");
    if (header.type === "file") await placeFile(header, stream as AsyncIterable<Buffer>, dir, final);
    else {
      stream.resume();
      await placeSymlink(name, header.linkname ?? "", dir, final);
    }
    entries++;
  }

  // Deepest first, so a read-only directory is closed only after everything inside it is written.
  const dirs = [...dirModes.entries()].sort((a, b) => b[0].length - a[0].length);
  for (const [dir, { mode, mtime }] of dirs) {
    // O_NOFOLLOW|O_DIRECTORY: chmod applies to this directory, never through a symlink swapped in.
    const handle = await fs.promises.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    try {
      await handle.chmod(mode);
      if (mtime) await handle.utimes(mtime, mtime);
    } finally {
      await handle.close();
    }
  }
  return { entries, warnings };
}
