import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HoldfastError } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { assertNotPseudoFilesystem, mountOf, parseMountinfo, readMounts, realLocation } from "./pseudo-filesystems.js";

// A mount table as a container shows it: tmpfs over devtmpfs, cgroups under a tmpfs, an overmount,
// a mount point with a space in its name.
const MOUNTINFO = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334760k
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24683772k
26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 27 0:40 / /mnt/nas\\040backups rw,relatime shared:5 - nfs4 nas:/export rw
51 27 0:41 / /mnt/over rw - tmpfs tmpfs rw
52 27 0:42 / /mnt/over rw - proc proc rw
`;

describe("pseudo-filesystems by the mount table", () => {
  const mounts = parseMountinfo(MOUNTINFO);
  const typeOf = (path: string) => mountOf(path, mounts)?.fsType;

  it("takes the longest mount point above a path, the latest of two on one point", () => {
    expect(typeOf("/proc/backups")).toBe("proc");
    expect(typeOf("/dev/backups")).toBe("devtmpfs");
    expect(typeOf("/dev/shm/backups")).toBe("tmpfs");
    expect(typeOf("/dev/pts/backups")).toBe("devpts");
    expect(typeOf("/sys/fs/cgroup/unified/x")).toBe("cgroup2");
    expect(typeOf("/sys/fs/cgroupies")).toBe("sysfs");
    expect(typeOf("/procs/backups")).toBe("ext4");
    expect(typeOf("/mnt/nas backups/daily")).toBe("nfs4");
    expect(typeOf("/mnt/over/x")).toBe("proc");
    expect(typeOf("/var/backups")).toBe("ext4");
  });

  it("refuses pseudo-filesystems with DESTINATION_REFUSED, and lets storage through", () => {
    for (const path of ["/proc/backups", "/dev/backups", "/dev/pts/x", "/sys/fs/cgroup/unified/x", "/sys/x", "/mnt/over/x", "/proc/../proc/x"]) {
      const err = (() => {
        try {
          assertNotPseudoFilesystem(path, mounts);
        } catch (e) {
          return e;
        }
      })();
      expect(err, path).toBeInstanceOf(HoldfastError);
      expect((err as HoldfastError).code).toBe("DESTINATION_REFUSED");
      expect((err as HoldfastError).details?.reason).toMatch(/^pseudo-filesystem /);
    }
    for (const path of ["/dev/shm/backups", "/var/backups", "/mnt/nas backups", "/sys/fs/cgroup/x"]) assertNotPseudoFilesystem(path, mounts);
  });

  it("reads this machine's table, where /proc is procfs", () => {
    expect(mountOf("/proc/self", readMounts())?.fsType).toBe("proc");
  });

  it("resolves symlinks of the part that exists, keeps the part that does not", async () => {
    const dir = await mkdtemp(join(tmpdir(), "holdfast-pseudo-"));
    try {
      await symlink("/proc", join(dir, "link"));
      expect(await realLocation(join(dir, "link", "a", "b"))).toBe("/proc/a/b");
      expect(await realLocation(join(dir, "no", "such"))).toBe(join(dir, "no", "such"));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
