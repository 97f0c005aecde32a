// The package's .tar.gz, as alike from build to build as the tar library allows: entries in sorted
// order, one fixed mtime, no owner names or ids (root owns what root unpacks), written beside the
// target and renamed into place so a reader never sees half a file.
import { execFileSync } from "node:child_process";
import { readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import * as tar from "tar";

/** SOURCE_DATE_EPOCH when set (the reproducible-builds convention), else the checkout's last commit, else 2000-01-01. */
export function packageMtime(root) {
  if (process.env.SOURCE_DATE_EPOCH) return new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000);
  try {
    return new Date(Number(execFileSync("git", ["log", "-1", "--format=%ct"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()) * 1000);
  } catch {
    return new Date("2000-01-01T00:00:00Z");
  }
}

/** Every path under `base/top` (folders before their contents), relative to `base`, sorted. */
function entries(base, top) {
  const out = [top];
  const walk = (rel) => {
    for (const entry of readdirSync(path.join(base, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const child = `${rel}/${entry.name}`;
      out.push(child);
      if (entry.isDirectory()) walk(child);
    }
  };
  walk(top);
  return out;
}

/** Writes `base/top` as the gzipped tarball `file`. */
export async function writeTarball(base, top, file, mtime) {
  const partial = `${file}.partial-${process.pid}`;
  try {
    await tar.c({ file: partial, cwd: base, gzip: { level: 9 }, portable: true, noDirRecurse: true, mtime }, entries(base, top));
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
}
