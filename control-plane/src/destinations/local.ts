import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, realpath, rename, rm } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError } from "@holdfast/shared";
import type { Destination } from "./types.js";

function escapes(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel);
}

/** A folder on the control plane's own disk (or a mount). */
export function localDestination(config: { path: string }): Destination {
  const root = resolve(config.path);
  return {
    async put(stream, relativeName) {
      if (relativeName.includes("\0") || isAbsolute(relativeName) || escapes(root, resolve(root, relativeName))) {
        throw new HoldfastError("DELIVERY_FAILED", `Refused a path outside the destination: ${relativeName}`, undefined, false);
      }
      const target = resolve(root, relativeName);
      await mkdir(dirname(target), { recursive: true, mode: 0o750 });
      // A symlink inside the root could still point elsewhere: compare the real folders.
      const realRoot = await realpath(root);
      const realDir = await realpath(dirname(target));
      if (realDir !== realRoot && escapes(realRoot, join(realDir, "x"))) {
        throw new HoldfastError("DELIVERY_FAILED", `Refused a path outside the destination: ${relativeName}`, undefined, false);
      }
      const final = join(realDir, target.slice(dirname(target).length + 1));
      const temp = join(realDir, `.${randomBytes(6).toString("hex")}.holdfast-tmp`);
      let bytes: number;
      try {
        await pipeline(stream, createWriteStream(temp, { flags: "wx", mode: 0o640, highWaterMark: 1024 * 1024 }));
        const handle = await open(temp, "r");
        try {
          await handle.sync();
          bytes = (await handle.stat()).size;
        } finally {
          await handle.close();
        }
        await rename(temp, final);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      // The rename is durable only once the folder's entry is on disk too.
      const dir = await open(realDir, "r");
      await dir.sync().finally(() => dir.close());
      return { path: final, bytes };
    },
  };
}
