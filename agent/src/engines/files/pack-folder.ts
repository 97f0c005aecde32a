import fs from "node:fs";
import type { PassThrough } from "node:stream";
import type { Pack } from "tar-stream";
import { HoldfastError, type FilesConnection } from "@holdfast/shared/protocol";
import { startDump, stoppedError } from "../dump-handle.js";
import type { DumpHandle, Fingerprint } from "../types.js";
import { displayName } from "./entry-name.js";
import { folderFailure } from "./folder-failure.js";
import { directoryItem, FILES_FINGERPRINT_METHOD, fileItem, symlinkItem } from "./fingerprint-items.js";
import { FileShrankError, openForRead, packFile, type OpenForRead } from "./pack-file.js";
import { createPathFilter } from "./path-filter.js";
import { readSymlinkTarget, UnreadableEntryError, walkFolder } from "./walk.js";
import { lazyRequire } from "../../lazy-require.js";

/** Loaded on first use: most agents never pack or unpack a tar. */
const tarStream = lazyRequire<typeof import("tar-stream")>("tar-stream");

export interface PackFolderOptions {
  open?: OpenForRead;
}

const STOPPED = "The files dump was stopped";
const nonAscii = (s: string) => /[^\u0000-\u007f]/.test(s);

/** Moves the tar's bytes into `out` with backpressure, leaving `out` open; rejects if either side fails first. */
async function copyInto(pack: Pack, out: PassThrough): Promise<void> {
  for await (const chunk of pack as AsyncIterable<Buffer>) {
    if (out.destroyed) throw new Error("the pipeline stopped reading the archive");
    if (!out.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => (out.off("close", onClose), resolve());
        const onClose = () => (out.off("drain", onDrain), reject(new Error("the pipeline stopped reading the archive")));
        out.once("drain", onDrain);
        out.once("close", onClose);
      });
    }
  }
}

/** A void entry (directory, symlink): resolves once tar-stream wrote its header. */
function addEntry(pack: Pack, header: Parameters<Pack["entry"]>[0]): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (err) => (err ? reject(err) : resolve())));
}

/** The error a failed files dump reports: DUMP_FAILED naming the file (escaped) and why. */
export function filesDumpError(err: unknown, root: string): HoldfastError {
  if (err instanceof HoldfastError) return err;
  if (err instanceof UnreadableEntryError) {
    return new HoldfastError("DUMP_FAILED", `Cannot read ${displayName(err.rel || ".")} in ${root} (${err.errno})`, { path: displayName(err.rel || "."), reason: "unreadable", cause: err.errno });
  }
  if (err instanceof FileShrankError) {
    return new HoldfastError("DUMP_FAILED", `${displayName(err.rel)} in ${root} shrank while it was read`, { path: displayName(err.rel), reason: "shrank", expectedBytes: err.expected, readBytes: err.read });
  }
  const code = (err as NodeJS.ErrnoException)?.code;
  return new HoldfastError("DUMP_FAILED", `Packing ${root} failed: ${err instanceof Error ? err.message : String(err)}`, { reason: "other", ...(code ? { cause: code } : {}) });
}

/**
 * A folder as ONE tar stream (pax headers where a name or link target is not ASCII or too long for
 * ustar): the walk's order (walk.ts: sorted, deterministic), paths relative to the folder, symlinks
 * stored as symlinks and never followed. `done` rejects DUMP_FAILED on the first unreadable entry
 * (naming it) or a file that shrank mid-read: the pipeline then discards what it staged, so a folder
 * that could not be read whole never yields a completed artifact. Skipped sockets, FIFOs, devices,
 * non-UTF-8 names and files that changed while read are in `warnings()`.
 */
export function startFilesDump(connection: FilesConnection, opts: PackFolderOptions = {}): DumpHandle {
  const root = connection.path;
  const filter = createPathFilter(connection.include, connection.exclude);
  const pack = tarStream().pack();
  const items: Fingerprint["items"] = {};

  const fill = async (warnings: string[], stopped: () => boolean) => {
    const st = await fs.promises.stat(root).catch((err: NodeJS.ErrnoException) => {
      throw folderFailure("DUMP_FAILED", root, err);
    });
    if (!st.isDirectory()) throw new HoldfastError("DUMP_FAILED", `${root} is not a folder`, { path: root, reason: "not_a_folder" });
    for await (const entry of walkFolder(root, filter, (w) => warnings.push(w))) {
      if (stopped()) throw stoppedError(STOPPED);
      const { rel, stats } = entry;
      const base = { name: rel, mode: stats.mode & 0o7777, mtime: stats.mtime, uid: stats.uid, gid: stats.gid };
      if (entry.kind === "directory") {
        // The trailing slash tar readers expect of a directory (tar-stream leaves names as given).
        await addEntry(pack, { ...base, name: `${rel}/`, type: "directory", ...(nonAscii(rel) ? { pax: {} } : {}) });
        items[rel] = directoryItem(stats.mode);
      } else if (entry.kind === "symlink") {
        let target: string | null;
        try {
          target = await readSymlinkTarget(entry.abs);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? "EIO";
          if (code === "ENOENT") continue;
          throw new UnreadableEntryError(rel, code);
        }
        if (target === null) {
          warnings.push(`skipped ${displayName(rel)}: its target is not valid UTF-8`);
          continue;
        }
        // The link itself, never what it points at (an outside target, /etc/passwd, is not read).
        await addEntry(pack, { ...base, type: "symlink", linkname: target, ...(nonAscii(rel) || nonAscii(target) ? { pax: {} } : {}) });
        items[rel] = symlinkItem(target);
      } else {
        const file = await packFile(pack, entry, opts.open ?? openForRead);
        if (!file.packed) {
          warnings.push(`skipped ${displayName(rel)}: ${file.why}`);
          continue;
        }
        if (file.changed) warnings.push(`${displayName(rel)} changed while it was read: the backup holds its first ${file.size} bytes as read`);
        items[rel] = fileItem(file.mode, file.size, file.sha256);
      }
    }
    pack.finalize();
  };

  return startDump({
    produce: async (dump) => {
      const packing = fill(dump.warnings, () => dump.stopped).catch((err: unknown) => {
        const failure = filesDumpError(err, root);
        pack.destroy(failure);
        throw failure;
      });
      packing.catch(() => {});
      try {
        await copyInto(pack, dump.out);
        await packing;
      } catch (err) {
        // The walk must not wait on a tar nobody reads any more; the packing side's error names the file.
        pack.destroy(err instanceof Error ? err : new Error(String(err)));
        throw (await packing.then(() => null, (e: unknown) => e)) ?? err;
      }
    },
    onAbort: () => pack.destroy(stoppedError(STOPPED)),
    failure: (err, stopped) => (stopped ? stoppedError(STOPPED) : filesDumpError(err, root)),
    sourceFingerprint: async () => ({ method: FILES_FINGERPRINT_METHOD, items }),
  });
}
