import { readFileSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { HoldfastError } from "@holdfast/shared";

/**
 * Kernel pseudo-filesystems: they hold no storage, and some make ordinary calls misbehave (Node's
 * recursive mkdir under /proc loops for ever). A folder on one of them is never a destination.
 */
export const PSEUDO_FILESYSTEMS: ReadonlySet<string> = new Set([
  "proc",
  "sysfs",
  "devtmpfs",
  "devpts",
  "cgroup",
  "cgroup2",
  "debugfs",
  "tracefs",
  "securityfs",
  "configfs",
  "fusectl",
  "bpf",
  "pstore",
  "mqueue",
  "hugetlbfs",
  "autofs",
  "binfmt_misc",
  "efivarfs",
  "rpc_pipefs",
  "nsfs",
  "nfsd",
  "selinuxfs",
]);

export interface Mount {
  mountPoint: string;
  fsType: string;
}

/** mountinfo escapes space, tab, newline and backslash in paths as `\ooo` octal. */
const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/**
 * The mounts of `/proc/self/mountinfo` (proc(5)): the mount point is the fifth field, the file system
 * type the first field after the ` - ` separator. Lines keep their order: a later mount on the same
 * point hides an earlier one.
 */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const mountPoint = left.split(" ")[4];
    const fsType = right.split(" ")[0];
    if (mountPoint && fsType) mounts.push({ mountPoint: unescapeOctal(mountPoint), fsType });
  }
  return mounts;
}

const under = (path: string, mountPoint: string) => mountPoint === "/" || path === mountPoint || path.startsWith(`${mountPoint}/`);

/** The mount an absolute, normalised path lives on: the longest mount point above it, the latest of equals. */
export function mountOf(path: string, mounts: readonly Mount[]): Mount | undefined {
  let best: Mount | undefined;
  for (const m of mounts) if (under(path, m.mountPoint) && (!best || m.mountPoint.length >= best.mountPoint.length)) best = m;
  return best;
}

/** The current mount table; empty where there is none to read (not Linux): nothing is refused then. */
export function readMounts(file = "/proc/self/mountinfo"): Mount[] {
  try {
    // procfs answers from memory: this read cannot hang the way a call on a dead mount can.
    return parseMountinfo(readFileSync(file, "utf8"));
  } catch {
    return [];
  }
}

/** DESTINATION_REFUSED when `path` lies on a pseudo-filesystem. */
export function assertNotPseudoFilesystem(path: string, mounts: readonly Mount[] = readMounts(), shown = path): void {
  const mount = mountOf(resolve(path), mounts);
  if (mount && PSEUDO_FILESYSTEMS.has(mount.fsType)) {
    throw new HoldfastError("DESTINATION_REFUSED", `Refused the folder ${shown}: it lies on ${mount.mountPoint}, a ${mount.fsType} pseudo-filesystem that stores nothing`, {
      reason: `pseudo-filesystem ${mount.fsType} at ${mount.mountPoint}`,
      fsType: mount.fsType,
      mountPoint: mount.mountPoint,
    });
  }
}

/**
 * Where `path` really is: its nearest existing ancestor with symlinks resolved, plus the part that does
 * not exist yet. A symlink into /proc is refused as /proc. The realpath itself can block on a dead
 * mount, which is why it runs in the probe's child process.
 */
export async function realLocation(path: string): Promise<string> {
  const missing: string[] = [];
  for (let dir = resolve(path); ; dir = dirname(dir)) {
    try {
      return join(await realpath(dir), ...missing.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== "ENOENT" && code !== "ENOTDIR") || dir === dirname(dir)) throw err;
      missing.push(basename(dir));
    }
  }
}
