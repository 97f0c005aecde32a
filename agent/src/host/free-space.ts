import fs from "node:fs";
import path from "node:path";

/** Free bytes for an unprivileged writer where `dir` (or its nearest existing parent) lives. */
export async function freeBytesAt(dir: string): Promise<number | null> {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      const st = await fs.promises.statfs(d);
      return Number(st.bavail) * Number(st.bsize);
    } catch {
      if (path.dirname(d) === d) return null;
    }
  }
}
