import fs from "node:fs";
import path from "node:path";
import type { PathFilter } from "./path-filter.js";

export type WalkKind = "file" | "directory" | "symlink";

export interface WalkEntry {
  /** Relative to the folder, `/`-separated, never empty. */
  rel: string;
  abs: string;
  kind: WalkKind;
  stats: fs.Stats;
}

/** A directory or file the walk could not read: callers map it to their own catalog code. */
export class UnreadableEntryError extends Error {
  constructor(
    readonly rel: string,
    readonly errno: string,
  ) {
    super(`${rel || "."} cannot be read (${errno})`);
    this.name = "UnreadableEntryError";
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

function otherKind(st: fs.Stats): string {
  if (st.isSocket()) return "a socket";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  return "not a file, directory or symlink";
}

/**
 * Walks `root` depth first, each directory's names in byte order (deterministic on every host and
 * locale), yielding directories before their contents. Never follows a symlink (lstat; symlinks are
 * entries of their own). Skips, with a warning: sockets, FIFOs and devices, and names that are not
 * valid UTF-8 (a tar name is UTF-8 text; the warning keeps the raw bytes in hex). With include rules,
 * a directory is yielded only on the way to something included, or when it matches itself.
 */
export async function* walkFolder(root: string, filter: PathFilter, warn: (message: string) => void): AsyncGenerator<WalkEntry> {
  // Directories not yet yielded (include rules): they come out just before their first included entry.
  const pending: WalkEntry[] = [];

  async function* visit(dirAbs: string, dirRel: string, underIncluded: boolean): AsyncGenerator<WalkEntry> {
    let names: Buffer[];
    try {
      names = await fs.promises.readdir(dirAbs, { encoding: "buffer" });
    } catch (err) {
      throw new UnreadableEntryError(dirRel, (err as NodeJS.ErrnoException).code ?? "EIO");
    }
    names.sort(Buffer.compare);
    for (const raw of names) {
      let name: string;
      try {
        name = UTF8.decode(raw);
      } catch {
        warn(`skipped ${dirRel ? `${dirRel}/` : ""}<0x${raw.toString("hex")}>: the name is not valid UTF-8`);
        continue;
      }
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const abs = path.join(dirAbs, name);
      if (filter.excluded(rel)) continue;
      let stats: fs.Stats;
      try {
        stats = await fs.promises.lstat(abs);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "EIO";
        if (code === "ENOENT") continue; // removed since the listing: it is simply not in this backup
        throw new UnreadableEntryError(rel, code);
      }
      const included = underIncluded || filter.included(rel);
      if (stats.isDirectory()) {
        const entry: WalkEntry = { rel, abs, kind: "directory", stats };
        if (included) {
          yield* pending.splice(0);
          yield entry;
        } else pending.push(entry);
        yield* visit(abs, rel, included);
        if (pending.at(-1) === entry) pending.pop();
        continue;
      }
      const kind: WalkKind | null = stats.isFile() ? "file" : stats.isSymbolicLink() ? "symlink" : null;
      if (!included) continue;
      if (!kind) {
        warn(`skipped ${rel}: ${otherKind(stats)}`);
        continue;
      }
      yield* pending.splice(0);
      yield { rel, abs, kind, stats };
    }
  }

  yield* visit(root, "", !filter.hasIncludes);
}

/** A symlink's target as text, or null when it is not valid UTF-8 (such a link is skipped with a warning). */
export async function readSymlinkTarget(abs: string): Promise<string | null> {
  const raw = await fs.promises.readlink(abs, { encoding: "buffer" });
  try {
    return UTF8.decode(raw);
  } catch {
    return null;
  }
}
