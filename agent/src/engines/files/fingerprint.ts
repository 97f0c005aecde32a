import { pipeline } from "node:stream/promises";
import type { FilesConnection } from "@holdfast/shared/protocol";
import { PIPELINE_CHUNK_BYTES } from "../../pipeline/chunk-size.js";
import { HashTap } from "../../pipeline/hash.js";
import type { Fingerprint } from "../types.js";
import { directoryItem, FILES_FINGERPRINT_METHOD, fileItem, symlinkItem } from "./fingerprint-items.js";
import { openForRead } from "./pack-file.js";
import { createPathFilter } from "./path-filter.js";
import { readSymlinkTarget, walkFolder } from "./walk.js";

/**
 * The fingerprint of a folder as it is now, under the same include/exclude rules and walk as a dump
 * (so a restored scratch copy compares with the dump's `sourceFingerprint`). Throws the walk's
 * UnreadableEntryError on an unreadable entry; skipped entries are simply absent.
 */
export async function fingerprintFolder(connection: FilesConnection): Promise<Fingerprint> {
  const filter = createPathFilter(connection.include, connection.exclude);
  const items: Fingerprint["items"] = {};
  for await (const entry of walkFolder(connection.path, filter, () => {})) {
    if (entry.kind === "directory") items[entry.rel] = directoryItem(entry.stats.mode);
    else if (entry.kind === "symlink") {
      const target = await readSymlinkTarget(entry.abs);
      if (target !== null) items[entry.rel] = symlinkItem(target);
    }
    else {
      const handle = await openForRead(entry.abs);
      try {
        const tap = new HashTap();
        await pipeline(handle.createReadStream({ highWaterMark: PIPELINE_CHUNK_BYTES, autoClose: false }), tap, async (source: AsyncIterable<Buffer>) => {
          for await (const _ of source);
        });
        items[entry.rel] = fileItem((await handle.stat()).mode, tap.bytes, tap.digest());
      } finally {
        await handle.close();
      }
    }
  }
  return { method: FILES_FINGERPRINT_METHOD, items };
}
