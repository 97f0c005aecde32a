import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError } from "@holdfast/shared/protocol";
import { lazyRequire } from "../lazy-require.js";

/** Loaded on first use: most agents never pack or unpack a tar. */
const tarStream = lazyRequire<typeof import("tar-stream")>("tar-stream");

/**
 * A directory-format dump as ONE tar stream (docs/architecture.md, "The backup path": one file per
 * artifact). pg_dump -Fd writes a flat directory (toc.dat and one file per table); each file is
 * streamed into the tar in turn, with backpressure, so memory stays flat whatever the table sizes.
 */
export function packDirectory(dir: string): { stream: Readable; done: Promise<void> } {
  const pack = tarStream().pack();
  const done = (async () => {
    const names = (await fs.promises.readdir(dir)).sort();
    for (const name of names) {
      const file = path.join(dir, name);
      const st = await fs.promises.lstat(file);
      if (!st.isFile()) throw new HoldfastError("DUMP_FAILED", "The directory dump holds something other than plain files", { name });
      const entry = pack.entry({ name, size: st.size, mode: 0o600, mtime: st.mtime });
      await pipeline(fs.createReadStream(file), entry);
    }
    pack.finalize();
  })();
  done.catch((err: unknown) => pack.destroy(err as Error));
  // tar-stream's streams are streamx streams: Node's pipeline drives them like its own.
  return { stream: pack as unknown as Readable, done };
}

/**
 * Unpacks a tar stream into `dir` (an empty private dir of ours). Only plain files with a plain
 * name: no path separators, no `..`, no links, so an artifact can never write outside `dir`.
 */
export async function unpackToDirectory(source: Readable, dir: string): Promise<void> {
  const extract = tarStream().extract();
  const consume = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name;
      if (entry.header.type !== "file" || !/^[A-Za-z0-9._-]+$/.test(name) || name === "." || name === "..") {
        entry.resume();
        throw new HoldfastError("VALIDATION_FAILED", "The artifact's tar holds an entry a directory dump never has", { name: name.slice(0, 200) });
      }
      await pipeline(entry, fs.createWriteStream(path.join(dir, name), { flags: "wx", mode: 0o600 }));
    }
  })();
  // A refused entry stops the read side too, so neither half waits for the other.
  consume.catch((err: unknown) => extract.destroy(err as Error));
  await Promise.all([pipeline(source, extract), consume]);
}
