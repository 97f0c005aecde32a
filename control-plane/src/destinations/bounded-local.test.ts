import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { destinationContract, errorOf, randomSource, sha256Of } from "../testing/destination-contract.js";
import { boundedLocalDestination } from "./bounded-local.js";
import { spawnCount } from "./local-spawn.js";
import { openDestination } from "./open-destination.js";

/** Our child processes still alive (by their parent pid and command line), from /proc. */
async function runningChildren(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8");
      if (ppid === process.pid && cmdline.includes("local-child")) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

describe("local destination in a child process (contract)", () => {
  let dir: string;
  let n = 0;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-bounded-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));
  destinationContract(() => {
    const root = join(dir, `root${n++}`);
    return { dest: () => boundedLocalDestination({ path: root }), knowsFreeSpace: true, rawNames: async () => (await readdir(root, { recursive: true }).catch(() => [])).map(String) };
  });
});

describe("local destination in a child process", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-bounded-"));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("never renames a half-sent object into place: a source that fails leaves nothing, and says so", async () => {
    const dest = boundedLocalDestination({ path: dir });
    const src = randomSource(4 * 1024 * 1024, 256 * 1024, 1024 * 1024);
    const err = await errorOf(dest.put(src.stream, "ds_1/half.gz"));
    expect(err.message).toContain("source died");
    expect(await readdir(join(dir, "ds_1"))).toEqual([]);
    expect(await runningChildren()).toEqual([]);
  });

  it("refuses a folder under /proc before it starts a process", async () => {
    const spawned = spawnCount();
    const dest = boundedLocalDestination({ path: "/proc/backups" });
    for (const call of [dest.test(), dest.stat("ds_1/x.gz"), dest.put(Readable.from([Buffer.from("x")]), "ds_1/x.gz", { bytes: 1 })]) {
      const err = await errorOf(call);
      expect(err.code).toBe("DESTINATION_REFUSED");
      expect(err.details).toMatchObject({ fsType: "proc", mountPoint: "/proc" });
    }
    expect(spawnCount()).toBe(spawned);
    expect(await runningChildren()).toEqual([]);
  });

  it("refuses a symlink that leads into /proc (the child resolves it before touching anything)", async () => {
    await symlink("/proc", join(dir, "innocent"));
    const err = await errorOf(boundedLocalDestination({ path: join(dir, "innocent", "backups") }).test());
    expect(err.code).toBe("DESTINATION_REFUSED");
    expect(err.details).toMatchObject({ fsType: "proc", mountPoint: "/proc" });
  });

  it("stops a call that blocks (a FIFO nobody writes to): DESTINATION_UNREACHABLE after the timeout, and the child is gone", async () => {
    await mkdir(join(dir, "ds_1"));
    expect(spawnSync("mkfifo", [join(dir, "ds_1", "stuck.gz")]).status).toBe(0);
    // As deliveries, retention and restores open it, with HOLDFAST_LOCAL_DESTINATION_TIMEOUT_MS=300.
    const dest = openDestination("local", { path: dir }, { localDestinationTimeoutMs: 300 });
    const err = await errorOf(dest.get("ds_1/stuck.gz"));
    expect(err.code).toBe("DESTINATION_UNREACHABLE");
    expect(err.retryable).toBe(true);
    expect(err.details).toMatchObject({ operation: "get" });
    expect(await runningChildren()).toEqual([]);
    // A folder that answers is still served after that.
    await writeFile(join(dir, "ds_1", "fine.gz"), "fine");
    expect(await sha256Of(await dest.get("ds_1/fine.gz"))).toHaveLength(64);
  });

  it("links the spool copy in the child process: the same inode under the name, null where it must be copied, errors carried back", async () => {
    await mkdir(join(dir, "spool"), { mode: 0o700 });
    const spool = join(dir, "spool", "run_1.artifact");
    const bytes = randomBytes(100_000);
    await writeFile(spool, bytes, { mode: 0o600 });
    const linked = await boundedLocalDestination({ path: join(dir, "a") }).link!(spool, "ds_1/x.gz", { bytes: bytes.length });
    expect(linked).toEqual({ path: join(dir, "a", "ds_1", "x.gz"), bytes: bytes.length });
    expect((await stat(linked!.path)).ino).toBe((await stat(spool)).ino);
    // A second folder on the same file system gets its own copy, not a share of the inode.
    expect(await boundedLocalDestination({ path: join(dir, "b") }).link!(spool, "ds_1/x.gz", { bytes: bytes.length })).toBeNull();
    expect(await errorOf(boundedLocalDestination({ path: join(dir, "c") }).link!(spool, "ds_1/x.gz", { bytes: 1 }))).toMatchObject({ code: "CHECKSUM_MISMATCH" });
    if (existsSync("/dev/shm")) {
      const other = await mkdtemp(join("/dev/shm", "holdfast-bounded-"));
      try {
        expect(await boundedLocalDestination({ path: other }).link!(spool, "ds_1/x.gz", { bytes: bytes.length })).toBeNull();
      } finally {
        await rm(other, { recursive: true, force: true });
      }
    }
    expect(await runningChildren()).toEqual([]);
  });
});
