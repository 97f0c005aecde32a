import { constants, createWriteStream, type Stats } from "node:fs";
import { link, lstat, mkdir, open, readdir, realpath, rename, rm, stat, statfs, unlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError } from "@holdfast/shared";
import { syncDir } from "../artifacts/spool.js";
import { fsFailure, notFound, sourceFailed, watchSource } from "./failures.js";
import { probeDestination } from "./probe.js";
import { assertNotPseudoFilesystem, readMounts, realLocation } from "./pseudo-filesystems.js";
import { nameSegments, splitPrefix, TEMP_SUFFIX } from "./relative-name.js";
import type { Destination, ObjectEntry, ObjectInfo } from "./types.js";

function escapes(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel);
}

function outside(name: string): HoldfastError {
  return new HoldfastError("DELIVERY_FAILED", `Refused a path outside the destination: ${name}`, undefined, false);
}

/** What a file Holdfast writes in a destination folder gets (less the umask): the owner writes, its group reads. */
const FILE_MODE = 0o640;
/** What it gets in a `readOnly` folder: nobody writes, not even the owner, until a deletion lifts it. */
export const READ_ONLY_MODE = 0o444;

/** Why a hard link may be refused where a copy still works: another file system, one without links, too many links. */
const LINK_REFUSED = new Set(["EXDEV", "EPERM", "EMLINK", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]);

export interface LocalOptions {
  probeName?: string;
  /** link(2), replaced by tests that make the file system refuse it. */
  linkFile?: (existing: string, newPath: string) => Promise<void>;
  /** unlink(2), replaced by tests that look at the file as it goes (an SMB server refuses a read-only one). */
  unlinkFile?: (path: string) => Promise<void>;
}

/**
 * Gives a read-only file its owner's write back, just before the unlink that deletes it (only what
 * a deletion was asked for reaches here). POSIX unlinks a 0444 file anyway (the folder's mode
 * decides), but an SMB/CIFS mount maps 0444 to the read-only attribute, and a Windows server
 * refuses to delete such a file. Whatever the folder's `readOnly` says now: files made read-only
 * before it was turned off go the same way. Opened without following a symlink (a planted link is
 * unlinked, its target never changed), and without blocking on a FIFO.
 */
async function writableBeforeUnlink(path: string): Promise<void> {
  const info = await lstat(path);
  if (!info.isFile() || (info.mode & 0o200) !== 0) return;
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const now = await handle.stat();
    if (now.isFile()) await handle.chmod((now.mode & 0o7777) | 0o200);
  } finally {
    await handle.close();
  }
}

const isMissing = (err: unknown) => ["ENOENT", "ENOTDIR"].includes((err as NodeJS.ErrnoException).code ?? "");

/**
 * A folder on the control plane's own disk (or a mount), written by this process. Any of these calls
 * can block for ever on a dead mount, so the control plane runs them in a child process it can kill
 * (`bounded-local.ts`); this is what that child runs.
 */
export function localDestination(config: { path: string; readOnly?: boolean | undefined }, opts: LocalOptions = {}): Destination {
  const root = resolve(config.path);
  const readOnly = config.readOnly === true;
  let checked: Promise<void> | undefined;

  /** Refuses a root on a pseudo-filesystem, where it is and where its symlinks lead, before touching it. */
  function guard(): Promise<void> {
    checked ??= (async () => {
      const mounts = readMounts();
      assertNotPseudoFilesystem(root, mounts);
      assertNotPseudoFilesystem(await realLocation(root).catch((err: unknown) => Promise.reject(fsFailure(err, `Reading ${root}`))), mounts, root);
    })();
    return checked;
  }

  /**
   * The real folder a name's parent lives in, checked to be inside the real root: a symlink inside
   * the root could still point elsewhere. Null when the folder does not exist (reads find nothing).
   */
  async function realParent(name: string): Promise<{ dir: string; base: string } | null> {
    await guard();
    const segments = nameSegments(name);
    const target = resolve(root, ...segments);
    if (escapes(root, target)) throw outside(name);
    let realRoot: string;
    let realDir: string;
    try {
      realRoot = await realpath(root);
      realDir = await realpath(dirname(target));
    } catch (err) {
      if (isMissing(err)) return null;
      throw fsFailure(err, `Reading ${name}`);
    }
    if (realDir !== realRoot && escapes(realRoot, join(realDir, "x"))) throw outside(name);
    return { dir: realDir, base: segments[segments.length - 1]! };
  }

  async function fileInfo(path: string, name: string): Promise<ObjectInfo | null> {
    try {
      const info = await lstat(path);
      if (info.isSymbolicLink()) throw outside(name);
      return info.isFile() ? { bytes: info.size, modifiedAt: info.mtime } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw fsFailure(err, `Reading ${name}`);
    }
  }

  /**
   * Where an object lands: its folder made (0750), checked to be inside the real root, and a temp
   * name beside the final one, so nothing but a whole object is ever found under the final name. The
   * temp name derives from the final one: a write killed with its process (kill -9, power loss)
   * leaves `.<name>.holdfast-tmp`, which the delivery's retry removes before writing, instead of a
   * randomly named partial file nothing would ever remove.
   */
  async function place(relativeName: string): Promise<{ dir: string; final: string; temp: string }> {
    const target = resolve(root, ...nameSegments(relativeName));
    if (escapes(root, target)) throw outside(relativeName);
    await guard();
    await mkdir(dirname(target), { recursive: true, mode: 0o750 }).catch((err: unknown) => {
      throw fsFailure(err, `Creating the folder of ${relativeName}`);
    });
    const parent = await realParent(relativeName);
    if (!parent) throw new HoldfastError("DELIVERY_FAILED", `The folder of ${relativeName} vanished while writing`);
    const temp = join(parent.dir, `.${parent.base}${TEMP_SUFFIX}`);
    // Unlinks a leftover (or a link planted there) without following it; `wx` then refuses anything new.
    await rm(temp, { force: true }).catch((err: unknown) => {
      throw fsFailure(err, `Removing the partial copy of ${relativeName}`);
    });
    return { dir: parent.dir, final: join(parent.dir, parent.base), temp };
  }

  const self: Destination = {
    async put(stream, relativeName) {
      const source = watchSource(stream);
      let where: Awaited<ReturnType<typeof place>>;
      try {
        where = await place(relativeName);
      } catch (err) {
        stream.destroy();
        throw err;
      }
      const { dir, final, temp } = where;
      const sink = createWriteStream(temp, { flags: "wx", mode: FILE_MODE, highWaterMark: 1024 * 1024 });
      source.sink(sink);
      let bytes: number;
      try {
        await pipeline(stream, sink);
        // These bytes exist nowhere else on this disk: they must be on it before the rename says they are.
        const handle = await open(temp, "r");
        try {
          await handle.sync();
          bytes = (await handle.stat()).size;
          // Before the rename: the object never appears under its name writable. (fchmod needs ownership, not a writable fd.)
          if (readOnly) await handle.chmod(READ_ONLY_MODE);
        } finally {
          await handle.close();
        }
        await rename(temp, final);
      } catch (err) {
        await rm(temp, { force: true });
        throw source.failure() ? sourceFailed(source.failure()) : fsFailure(err, `Writing ${relativeName}`);
      }
      await syncDir(dir);
      return { path: final, bytes };
    },

    /**
     * The verified spool copy made the object by a hard link, when the folder is on the spool's file
     * system: linked to a temp name, its size checked, given the mode `put` gives a file, renamed into
     * place, the folder fsynced. Its bytes are not read nor fsynced again: they are the spool copy's
     * inode, fsynced when it was received and hashed whole before it was renamed into the spool.
     * Null (copy it instead) on another file system, when the file system refuses links, and when the
     * inode already has a name besides the spool's (another destination's): two destinations never
     * share one inode, so damage to one copy is never damage to both.
     */
    async link(sourcePath, relativeName, { bytes }) {
      const { dir, final, temp } = await place(relativeName);
      let source: Stats;
      try {
        source = await stat(sourcePath);
        if ((await stat(dir)).dev !== source.dev) return null;
      } catch (err) {
        throw fsFailure(err, `Reading the spool copy for ${relativeName}`);
      }
      try {
        await (opts.linkFile ?? link)(sourcePath, temp);
      } catch (err) {
        if (LINK_REFUSED.has((err as NodeJS.ErrnoException).code ?? "")) return null;
        throw fsFailure(err, `Linking ${relativeName}`);
      }
      let linked = true;
      try {
        const handle = await open(temp, constants.O_RDONLY | constants.O_NOFOLLOW);
        try {
          const info = await handle.stat();
          if (info.size !== bytes) {
            throw new HoldfastError("CHECKSUM_MISMATCH", `The spool copy holds ${info.size} bytes, not the ${bytes} recorded`, { expected: bytes, actual: info.size }, false);
          }
          if (info.nlink > 2) linked = false;
          // The inode is the spool copy's too: its spool name reads the same mode until it is removed.
          else await handle.chmod(readOnly ? READ_ONLY_MODE : FILE_MODE & ~process.umask());
        } finally {
          await handle.close();
        }
        if (linked) await rename(temp, final);
      } catch (err) {
        await rm(temp, { force: true });
        throw fsFailure(err, `Linking ${relativeName}`);
      }
      if (!linked) {
        await rm(temp, { force: true });
        return null;
      }
      await syncDir(dir);
      return { path: final, bytes };
    },

    async stat(relativeName) {
      const parent = await realParent(relativeName);
      return parent ? fileInfo(join(parent.dir, parent.base), relativeName) : null;
    },

    async list(prefix) {
      const { folder } = splitPrefix(prefix);
      const start = resolve(root, ...folder);
      if (escapes(root, join(start, "x"))) throw outside(prefix);
      await guard();
      let realRoot: string;
      let realStart: string;
      try {
        realRoot = await realpath(root);
        realStart = await realpath(start);
      } catch (err) {
        if (isMissing(err)) return [];
        throw fsFailure(err, `Listing ${prefix}`);
      }
      if (realStart !== realRoot && escapes(realRoot, join(realStart, "x"))) throw outside(prefix);
      const entries: ObjectEntry[] = [];
      // Symlinks are never followed: the walk stays inside what Holdfast wrote.
      const walk = async (dir: string, names: string[]): Promise<void> => {
        let children;
        try {
          children = await readdir(dir, { withFileTypes: true });
        } catch (err) {
          if (isMissing(err)) return;
          throw fsFailure(err, `Listing ${prefix}`);
        }
        for (const child of children) {
          const name = [...names, child.name].join("/");
          if (child.isDirectory()) await walk(join(dir, child.name), [...names, child.name]);
          else if (child.isFile() && !child.name.endsWith(TEMP_SUFFIX) && name.startsWith(prefix)) {
            const info = await fileInfo(join(dir, child.name), name);
            if (info) entries.push({ name, ...info });
          }
        }
      };
      await walk(realStart, folder);
      return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async delete(relativeName) {
      const parent = await realParent(relativeName);
      if (!parent) return;
      const path = join(parent.dir, parent.base);
      try {
        await writableBeforeUnlink(path);
        await (opts.unlinkFile ?? unlink)(path);
      } catch (err) {
        if (!isMissing(err)) throw fsFailure(err, `Deleting ${relativeName}`);
      }
    },

    async get(relativeName, opts = {}) {
      const parent = await realParent(relativeName);
      if (!parent) throw notFound(relativeName);
      try {
        // O_NOFOLLOW: a symlink planted under the name is not read through.
        const handle = await open(join(parent.dir, parent.base), constants.O_RDONLY | constants.O_NOFOLLOW);
        return handle.createReadStream({ highWaterMark: 1024 * 1024, start: opts.start ?? 0 }) as unknown as Readable;
      } catch (err) {
        if (isMissing(err)) throw notFound(relativeName);
        if ((err as NodeJS.ErrnoException).code === "ELOOP") throw outside(relativeName);
        throw fsFailure(err, `Reading ${relativeName}`);
      }
    },

    test: (o) => probeDestination(self, o?.probeName ?? opts.probeName),

    async freeSpace() {
      await guard();
      // The root may not exist yet: the disk it will be on is its nearest existing ancestor's.
      for (let dir = root; ; dir = dirname(dir)) {
        try {
          const fs = await statfs(dir);
          return fs.bavail * fs.bsize;
        } catch (err) {
          if (!isMissing(err) || dir === dirname(dir)) throw fsFailure(err, "Reading the free space");
        }
      }
    },
  };
  return self;
}
